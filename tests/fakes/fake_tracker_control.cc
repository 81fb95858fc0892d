#include "tests/fakes/fake_tracker_control.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pytorrent::testing {

void FakeTrackerControl::SetStats(const v1::TrackerStats& stats) {
  MutexLock lock(mu_);
  stats_ = stats;
}

void FakeTrackerControl::AddSwarm(const v1::FileSummary& swarm) {
  MutexLock lock(mu_);
  swarms_.push_back(swarm);
}

void FakeTrackerControl::AddPeer(const v1::PeerInfo& peer) {
  MutexLock lock(mu_);
  peers_.push_back(peer);
}

v1::ListSwarmsRequest FakeTrackerControl::last_swarms_request() const {
  MutexLock lock(mu_);
  return last_swarms_request_;
}

v1::TrackerStats FakeTrackerControl::GetStats() {
  MutexLock lock(mu_);
  v1::TrackerStats stats = stats_;
  stats.set_peers(static_cast<uint32_t>(peers_.size()));
  stats.set_files(static_cast<uint32_t>(swarms_.size()));
  return stats;
}

absl::StatusOr<v1::ListSwarmsResponse> FakeTrackerControl::ListSwarms(
    const v1::ListSwarmsRequest& request) {
  MutexLock lock(mu_);
  last_swarms_request_ = request;
  v1::ListSwarmsResponse response;
  for (const v1::FileSummary& swarm : swarms_) *response.add_swarms() = swarm;
  return response;
}

absl::StatusOr<v1::ListTrackerPeersResponse> FakeTrackerControl::ListPeers(
    const v1::ListTrackerPeersRequest&) {
  MutexLock lock(mu_);
  v1::ListTrackerPeersResponse response;
  for (const v1::PeerInfo& peer : peers_) *response.add_peers() = peer;
  return response;
}

absl::Status FakeTrackerControl::EvictPeer(uint64_t peer_id) {
  MutexLock lock(mu_);
  auto it = std::find_if(peers_.begin(), peers_.end(),
                         [&](const v1::PeerInfo& p) { return p.peer_id() == peer_id; });
  if (it == peers_.end()) {
    return absl::NotFoundError(absl::StrCat("no peer with id ", peer_id, " is registered"));
  }
  peers_.erase(it);
  return absl::OkStatus();
}

}  // namespace pytorrent::testing
