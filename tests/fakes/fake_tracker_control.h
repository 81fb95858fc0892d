#ifndef PYTORRENT_TESTS_FAKES_FAKE_TRACKER_CONTROL_H_
#define PYTORRENT_TESTS_FAKES_FAKE_TRACKER_CONTROL_H_

// An in-memory tracker for admin tests. Thread-safe.

#include <vector>

#include "common/mutex.h"
#include "tracker/tracker_control.h"

namespace pytorrent::testing {

class FakeTrackerControl final : public tracker::TrackerControl {
 public:
  void SetStats(const v1::TrackerStats& stats);
  void AddSwarm(const v1::FileSummary& swarm);
  void AddPeer(const v1::PeerInfo& peer);
  // The last request ListSwarms / ListPeers got.
  v1::ListSwarmsRequest last_swarms_request() const;

  v1::TrackerStats GetStats() override;
  absl::StatusOr<v1::ListSwarmsResponse> ListSwarms(const v1::ListSwarmsRequest& request) override;
  absl::StatusOr<v1::ListTrackerPeersResponse> ListPeers(
      const v1::ListTrackerPeersRequest& request) override;
  absl::Status EvictPeer(uint64_t peer_id) override;

 private:
  mutable Mutex mu_;
  v1::TrackerStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::FileSummary> swarms_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::PeerInfo> peers_ ABSL_GUARDED_BY(mu_);
  v1::ListSwarmsRequest last_swarms_request_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_FAKES_FAKE_TRACKER_CONTROL_H_
