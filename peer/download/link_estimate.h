#ifndef PYTORRENT_PEER_DOWNLOAD_LINK_ESTIMATE_H_
#define PYTORRENT_PEER_DOWNLOAD_LINK_ESTIMATE_H_

// What one seeder's link delivers: its recent rate and its round-trip time,
// measured from chunk deliveries, and the bytes in flight they call for.
//
// A window of W bytes carries at most W per round trip, so a far link needs
// rate x RTT bytes requested ahead (100 ms x 400 Mbit/s = 5 MB, 20 chunks of
// 256 KiB), where 8 chunks were always in flight (42% of such a link). As
// libtorrent sizes its request queue from the download rate, the scheduler
// asks `WantedBytes()`: twice rate x RTT (headroom to grow into a faster
// link: while the window limits the rate, doubling it doubles the rate, so
// the window grows like TCP slow start until the link is full).
//
// RTT is the smallest request-to-arrival time seen: later samples queue
// behind the window itself (they grow with it), the first ones do not.
// The rate is over the last 4 RTTs (at least 50 ms, at most 1 s).
//
// Example:
//   LinkEstimate link;
//   link.OnDelivered(256 * 1024, sent_at, now);
//   int64_t wanted = link.WantedBytes(now);
//
// Pure: times are parameters. Not thread-safe.

#include <cstdint>
#include <deque>
#include <utility>

#include "absl/time/time.h"

namespace pytorrent::peer {

class LinkEstimate {
 public:
  // A chunk of `bytes`, requested at `sent`, arrived at `now`.
  void OnDelivered(int64_t bytes, absl::Time sent, absl::Time now);
  // Smallest request-to-arrival time seen; infinite before the first.
  absl::Duration min_rtt() const { return min_rtt_; }
  // Bytes per second delivered recently; 0 before two deliveries.
  double RateBytesPerSecond(absl::Time now) const;
  // 2 x rate x min_rtt: the bytes to keep requested; 0 while unknown.
  int64_t WantedBytes(absl::Time now) const;

 private:
  absl::Duration Span() const;
  absl::Duration min_rtt_ = absl::InfiniteDuration();
  absl::Time first_ = absl::InfiniteFuture();
  std::deque<std::pair<absl::Time, int64_t>> recent_;
  int64_t recent_bytes_ = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_DOWNLOAD_LINK_ESTIMATE_H_
