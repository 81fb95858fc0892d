#include "peer/tracker_failover.h"

#include <algorithm>

namespace pytorrent::peer {

TrackerFailover::TrackerFailover(size_t trackers, const TrackerFailoverOptions& options,
                                 const TimeSource& clock)
    : options_(options),
      clock_(clock),
      silent_at_(std::max<size_t>(trackers, 1), absl::InfinitePast()) {}

bool TrackerFailover::held_down(size_t tracker) const {
  return tracker < silent_at_.size() && clock_.Now() < silent_at_[tracker] + options_.hold_down;
}

std::vector<size_t> TrackerFailover::PlanCall() const {
  const size_t n = silent_at_.size();
  std::vector<size_t> order;
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) order.push_back((current_ + i) % n);
  // Held-down instances last, the one silent longest ago first; the others
  // keep their round order from the current instance.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const bool down_a = held_down(a), down_b = held_down(b);
    if (down_a != down_b) return !down_a;
    return down_a && silent_at_[a] < silent_at_[b];
  });
  const size_t turns = static_cast<size_t>(std::max(options_.turns_per_call, 1));
  std::vector<size_t> plan;
  plan.reserve(turns);
  for (size_t t = 0; t < turns; ++t) plan.push_back(order[t % n]);
  return plan;
}

void TrackerFailover::OnAnswered(size_t tracker) {
  if (tracker >= silent_at_.size()) return;
  current_ = tracker;
  silent_at_[tracker] = absl::InfinitePast();
}

void TrackerFailover::OnSilent(size_t tracker) {
  if (tracker >= silent_at_.size()) return;
  silent_at_[tracker] = clock_.Now();
}

}  // namespace pytorrent::peer
