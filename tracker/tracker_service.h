#ifndef PYTORRENT_TRACKER_TRACKER_SERVICE_H_
#define PYTORRENT_TRACKER_TRACKER_SERVICE_H_

// `TrackerService` wires the request handler to the UDP loop and serves the
// admin plane.
//
// - As a `DatagramHandler` it runs on the loop thread: each datagram goes to
//   the `RequestHandler`; once a second it expires idle peers, samples the
//   announce rate and logs one line if requests were rejected since the last
//   line (never one line per request).
// - As a `TrackerControl` it is called from admin (gRPC) threads: every call
//   posts a task to the loop, which owns the registry, and waits for the
//   answer for at most `control_timeout` (UNAVAILABLE / empty answer after).
//   Never call the control methods from the loop thread itself.

#include <array>
#include <cstdint>
#include <deque>
#include <functional>

#include "absl/time/time.h"
#include "tracker/request_handler.h"
#include "tracker/swarm_registry.h"
#include "tracker/tracker_control.h"
#include "tracker/udp_server.h"

namespace pytorrent::tracker {

class TrackerService final : public DatagramHandler, public TrackerControl {
 public:
  // All three must outlive the service. `start` is the tracker's start time.
  TrackerService(RequestHandler& handler, SwarmRegistry& registry, UdpServer& loop,
                 absl::Time start, absl::Duration control_timeout = absl::Seconds(2));

  // DatagramHandler (loop thread).
  size_t OnDatagram(absl::Span<const uint8_t> datagram, const SourceAddress& from, absl::Time now,
                    absl::Span<uint8_t> out) override;
  void OnTick(absl::Time now) override;

  // TrackerControl (any thread but the loop's).
  v1::TrackerStats GetStats() override;
  v1::ListSwarmsResponse ListSwarms(const v1::ListSwarmsRequest& request) override;
  v1::ListTrackerPeersResponse ListPeers(const v1::ListTrackerPeersRequest& request) override;
  absl::Status EvictPeer(uint64_t peer_id) override;

 private:
  // Runs `task` on the loop and waits; false if it did not run in time.
  bool RunOnLoop(std::function<void()> task);
  // Loop thread only.
  v1::TrackerStats StatsNow(absl::Time now) const;

  RequestHandler& handler_;
  SwarmRegistry& registry_;
  UdpServer& loop_;
  absl::Time start_;
  absl::Duration control_timeout_;
  // Loop-thread state.
  struct Sample {
    absl::Time at;
    uint64_t announces;
  };
  std::deque<Sample> samples_;
  uint64_t logged_rejects_ = 0;
  std::array<uint64_t, static_cast<size_t>(RejectKind::kCount)> logged_by_kind_{};
  absl::Time last_reject_log_ = absl::InfinitePast();
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_TRACKER_SERVICE_H_
