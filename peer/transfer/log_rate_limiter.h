#ifndef PYTORRENT_PEER_TRANSFER_LOG_RATE_LIMITER_H_
#define PYTORRENT_PEER_TRANSFER_LOG_RATE_LIMITER_H_

// `LogRateLimiter` lets one log line through per interval and counts the
// ones it held back, so a burst of bad input costs one line (STYLE.md 9).
//
// Example:
//   if (uint64_t quiet = 0; limiter.Allow(now, quiet)) {
//     PT_LOG_WARN("throttled a requester ({} more since the last line)", quiet);
//   }
//
// Pure (time is a parameter). Not thread-safe.

#include <cstdint>

#include "absl/time/time.h"

namespace pytorrent::peer {

class LogRateLimiter {
 public:
  explicit LogRateLimiter(absl::Duration interval) : interval_(interval) {}

  // True if a line may be logged at `now`; then `suppressed` is how many
  // calls were refused since the last line that was allowed.
  bool Allow(absl::Time now, uint64_t& suppressed) {
    if (last_ != absl::InfinitePast() && now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    last_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  absl::Duration interval_;
  absl::Time last_ = absl::InfinitePast();
  uint64_t suppressed_ = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_LOG_RATE_LIMITER_H_
