#ifndef PYTORRENT_TESTS_PEER_FAKE_TRACKER_CLIENT_H_
#define PYTORRENT_TESTS_PEER_FAKE_TRACKER_CLIENT_H_

// An in-memory tracker shared by several in-process TrackerClients, so peer
// nodes can be tested together without the UDP tracker.
//
// Example:
//   auto registry = std::make_shared<FakeTrackerRegistry>();
//   auto node = PeerNode::Start(options, std::make_unique<FakeTrackerClient>(registry));
//
// Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "peer/tracker_client.h"

namespace pytorrent::peer {

struct FakeTrackerRegistry {
  struct Peer {
    uint64_t key = 0;
    std::string username;
    std::string endpoint;
    std::map<std::string, v1::FileAvailability> files;  // by root hash
  };
  std::mutex mu;
  std::map<uint64_t, Peer> peers;
  int announces = 0;
  bool down = false;  // every call answers UNAVAILABLE
};

class FakeTrackerClient final : public TrackerClient {
 public:
  explicit FakeTrackerClient(std::shared_ptr<FakeTrackerRegistry> registry)
      : registry_(std::move(registry)) {}

  absl::StatusOr<v1::AnnounceResponse> Announce(const v1::AnnounceRequest& request) override;
  absl::Status Leave(uint64_t peer_id, uint64_t peer_key) override;
  absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) override;
  absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) override;
  absl::StatusOr<v1::GetFilePeersResponse> GetFilePeers(
      const v1::GetFilePeersRequest& request) override;
  absl::Status Rename(uint64_t peer_id, uint64_t peer_key,
                      const std::string& new_username) override;
  absl::StatusOr<v1::GetStatsResponse> GetStats() override;

 private:
  std::shared_ptr<FakeTrackerRegistry> registry_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_TESTS_PEER_FAKE_TRACKER_CLIENT_H_
