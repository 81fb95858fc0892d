#include "peer/download/link_estimate.h"

#include <algorithm>

namespace pytorrent::peer {

absl::Duration LinkEstimate::Span() const {
  if (min_rtt_ == absl::InfiniteDuration()) return absl::Seconds(1);
  return std::clamp(4 * min_rtt_, absl::Milliseconds(50), absl::Seconds(1));
}

void LinkEstimate::OnDelivered(int64_t bytes, absl::Time sent, absl::Time now) {
  if (now >= sent) min_rtt_ = std::min(min_rtt_, now - sent);
  if (first_ == absl::InfiniteFuture()) first_ = now;
  recent_.emplace_back(now, bytes);
  recent_bytes_ += bytes;
  const absl::Time horizon = now - Span();
  while (recent_.size() > 1 && recent_.front().first < horizon) {
    recent_bytes_ -= recent_.front().second;
    recent_.pop_front();
  }
}

double LinkEstimate::RateBytesPerSecond(absl::Time now) const {
  if (recent_.size() < 2) return 0;
  // Over the span, or since the first delivery when that is shorter (but
  // never less than one RTT, so a burst does not read as a huge rate).
  absl::Duration over = std::min(Span(), now - first_);
  over = std::max(over, min_rtt_);
  if (over <= absl::ZeroDuration()) return 0;
  return static_cast<double>(recent_bytes_) / absl::ToDoubleSeconds(over);
}

int64_t LinkEstimate::WantedBytes(absl::Time now) const {
  if (min_rtt_ == absl::InfiniteDuration()) return 0;
  return static_cast<int64_t>(2 * RateBytesPerSecond(now) * absl::ToDoubleSeconds(min_rtt_));
}

}  // namespace pytorrent::peer
