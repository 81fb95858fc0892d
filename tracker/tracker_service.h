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
//   methods take that mutex too and answer at once. A thread-safe store
//   (Redis) is called without the mutex.
// - Health: once a second the primary reports the store's `serving()` to
//   `on_serving_change` when it changed (the admin plane's health status).

#include <cstdint>
#include <deque>
#include <functional>
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
  // Called on the primary I/O thread with the store's serving() when it
  // changes (and once at the first tick). Set before the loops run.
  void set_on_serving_change(std::function<void(bool)> callback) {
    on_serving_change_ = std::move(callback);
  }
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
  // Holds registry_mu_ unless the store is thread-safe.
  std::unique_lock<std::mutex> LockStore();

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
  std::function<void(bool)> on_serving_change_;
  int reported_serving_ = -1;  // primary thread: -1 never reported
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_TRACKER_SERVICE_H_
