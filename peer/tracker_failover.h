#ifndef PYTORRENT_PEER_TRACKER_FAILOVER_H_
#define PYTORRENT_PEER_TRACKER_FAILOVER_H_

// `TrackerFailover` decides which of several tracker instances of one
// network a peer talks to (instances sharing a Redis store and the
// connection-id secret: tracker/README.md, "Running a tracker fleet").
//
// A call goes to the current instance, the last one that answered. When it
// gives no answer within its turn (a short retry ladder, see
// FailoverTrackerClient), the same call moves on to the next instance, so a
// peer fails over within one retry cycle. An instance that gave no answer
// is held down for a while: it is tried after every instance that is not,
// so later calls do not wait on it again, and once the hold-down passes it
// is an ordinary candidate again. Any reply, an error included, counts as an
// answer: only silence moves a peer.
//
// Example:
//   TrackerFailover failover(/*trackers=*/2, {}, clock);
//   for (size_t tracker : failover.PlanCall()) {
//     if (Silent(Send(tracker))) { failover.OnSilent(tracker); continue; }
//     failover.OnAnswered(tracker);
//     break;
//   }
//
// Pure (an injected clock, no I/O). Not thread-safe: the caller serializes.

#include <cstddef>
#include <vector>

#include "absl/time/time.h"
#include "common/time_source.h"

namespace pytorrent::peer {

struct TrackerFailoverOptions {
  // Instances one call may try in turn (an instance may come back in the
  // plan when there are fewer instances than turns).
  int turns_per_call = 3;
  // How long an instance that gave no answer is tried after the others.
  absl::Duration hold_down = absl::Seconds(30);
};

class TrackerFailover {
 public:
  // `trackers` >= 1 instances, numbered in the order configured; the first
  // is current. `clock` must outlive this.
  TrackerFailover(size_t trackers, const TrackerFailoverOptions& options, const TimeSource& clock);

  // The instances one call tries, in order, `turns_per_call` entries
  // (at least one): starting at the current instance and going round the
  // list, instances not held down first, then those held down, the one
  // silent longest ago first; repeated from its start when there are more
  // turns than instances.
  std::vector<size_t> PlanCall() const;

  // `tracker` answered: it becomes current and is no longer held down.
  void OnAnswered(size_t tracker);
  // `tracker` gave no answer in its turn: held down from now.
  void OnSilent(size_t tracker);

  size_t current() const { return current_; }
  bool held_down(size_t tracker) const;

 private:
  TrackerFailoverOptions options_;
  const TimeSource& clock_;
  size_t current_ = 0;
  // When each instance last gave no answer (InfinitePast: never, or it has
  // answered since).
  std::vector<absl::Time> silent_at_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRACKER_FAILOVER_H_
