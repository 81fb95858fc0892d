#ifndef PYTORRENT_TRACKER_TRACKER_SERVICE_H_
#define PYTORRENT_TRACKER_TRACKER_SERVICE_H_

// `TrackerService` wires the request handlers to the UDP loop threads and
// serves the admin plane.
//
// - `shard(i)` is the `DatagramHandler` of I/O thread i, passing datagrams
//   to handler i. Shard 0 is the primary: once a second it expires idle
//   peers, samples the announce rate and logs one line if requests were
//   rejected since its last line (never one line per request).
// - As a `TrackerControl` it is called from admin (gRPC) threads. The
//   registry is shared by the I/O threads behind `registry_mu` (held only
//   around registry work, not around parsing or I/O), so the control
//   methods take that mutex too and answer at once.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "tracker/request_handler.h"
#include "tracker/swarm_store.h"
#include "tracker/tracker_control.h"
#include "tracker/udp_server.h"

namespace pytorrent::tracker {

class TrackerService final : public TrackerControl {
 public:
  // Everything must outlive the service; `handlers` must all use
  // `registry_mu` for `registry`. `start` is the tracker's start time.
  TrackerService(SwarmStore& registry, std::mutex& registry_mu,
                 std::vector<RequestHandler*> handlers, absl::Time start);
  ~TrackerService() override;

  // The loop-side handler for I/O thread `i` (0 is the primary).
  DatagramHandler& shard(size_t i);
  // All handlers' counters summed. Thread-safe.
  HandlerCounters Counters() const;

  // TrackerControl (any thread).
  v1::TrackerStats GetStats() override;
  absl::StatusOr<v1::ListSwarmsResponse> ListSwarms(const v1::ListSwarmsRequest& request) override;
  absl::StatusOr<v1::ListTrackerPeersResponse> ListPeers(
      const v1::ListTrackerPeersRequest& request) override;
  absl::Status EvictPeer(uint64_t peer_id) override;

 private:
  class Shard;
  // Primary I/O thread, once a second.
  void Tick(absl::Time now);

  SwarmStore& registry_;  // guarded by registry_mu_
  std::mutex& registry_mu_;
  std::vector<RequestHandler*> handlers_;
  std::vector<std::unique_ptr<Shard>> shards_;
  absl::Time start_;

  struct Sample {
    absl::Time at;
    uint64_t announces;
  };
  mutable std::mutex stats_mu_;
  std::deque<Sample> samples_;  // guarded by stats_mu_
  // Primary-thread state for burst logging.
  HandlerCounters logged_;
  absl::Time last_reject_log_ = absl::InfinitePast();
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_TRACKER_SERVICE_H_
