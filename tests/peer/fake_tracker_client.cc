#include "tests/peer/fake_tracker_client.h"

namespace pytorrent::peer {

absl::StatusOr<v1::AnnounceResponse> FakeTrackerClient::Announce(
    const v1::AnnounceRequest& request) {
  std::lock_guard<std::mutex> lock(registry_->mu);
  if (registry_->down) return absl::UnavailableError("fake tracker down");
  for (const auto& [id, peer] : registry_->peers) {
    if (id != request.peer_id() && peer.username == request.username()) {
      return absl::AlreadyExistsError("username taken");
    }
  }
  auto it = registry_->peers.find(request.peer_id());
  if (it != registry_->peers.end() && it->second.key != request.peer_key()) {
    return absl::PermissionDeniedError("not owner");
  }
  FakeTrackerRegistry::Peer& peer = registry_->peers[request.peer_id()];
  peer.key = request.peer_key();
  peer.username = request.username();
  peer.endpoint = request.chunk_endpoint();
  if (request.replace_files()) peer.files.clear();
  for (const auto& f : request.files()) peer.files[f.root_hash()] = f;
  for (const auto& r : request.removed_root_hashes()) peer.files.erase(r);
  ++registry_->announces;
  v1::AnnounceResponse response;
  response.set_interval_seconds(60);
  response.set_peer_count(static_cast<uint32_t>(registry_->peers.size()));
  return response;
}

absl::Status FakeTrackerClient::Leave(uint64_t peer_id, uint64_t peer_key) {
  std::lock_guard<std::mutex> lock(registry_->mu);
  auto it = registry_->peers.find(peer_id);
  if (it == registry_->peers.end()) return absl::NotFoundError("unknown peer");
  if (it->second.key != peer_key) return absl::PermissionDeniedError("not owner");
  registry_->peers.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<v1::ListPeersResponse> FakeTrackerClient::ListPeers(const v1::ListPeersRequest&) {
  std::lock_guard<std::mutex> lock(registry_->mu);
  if (registry_->down) return absl::UnavailableError("fake tracker down");
  v1::ListPeersResponse response;
  for (const auto& [id, peer] : registry_->peers) {
    v1::PeerInfo* info = response.add_peers();
    info->set_peer_id(id);
    info->set_username(peer.username);
    info->set_chunk_endpoint(peer.endpoint);
    info->set_file_count(static_cast<uint32_t>(peer.files.size()));
  }
  response.set_total_peers(static_cast<uint32_t>(registry_->peers.size()));
  return response;
}

absl::StatusOr<v1::SearchFilesResponse> FakeTrackerClient::SearchFiles(
    const v1::SearchFilesRequest& request) {
  std::lock_guard<std::mutex> lock(registry_->mu);
  if (registry_->down) return absl::UnavailableError("fake tracker down");
  std::map<std::string, v1::FileSummary> by_root;
  for (const auto& [id, peer] : registry_->peers) {
    for (const auto& [root, f] : peer.files) {
      if (f.name().find(request.query()) == std::string::npos) continue;
      v1::FileSummary& s = by_root[root];
      s.set_name(f.name());
      s.set_size_bytes(f.size_bytes());
      s.set_chunk_size_bytes(f.chunk_size_bytes());
      s.set_root_hash(root);
      uint64_t count = (f.size_bytes() + f.chunk_size_bytes() - 1) / f.chunk_size_bytes();
      if (f.chunks_have() == count) {
        s.set_seeders(s.seeders() + 1);
      } else {
        s.set_leechers(s.leechers() + 1);
      }
    }
  }
  v1::SearchFilesResponse response;
  for (auto& [root, s] : by_root) *response.add_files() = s;
  return response;
}

absl::StatusOr<v1::GetFilePeersResponse> FakeTrackerClient::GetFilePeers(
    const v1::GetFilePeersRequest& request) {
  std::lock_guard<std::mutex> lock(registry_->mu);
  if (registry_->down) return absl::UnavailableError("fake tracker down");
  v1::GetFilePeersResponse response;
  for (const auto& [id, peer] : registry_->peers) {
    auto it = peer.files.find(request.root_hash());
    if (it == peer.files.end()) continue;
    response.mutable_file()->set_name(it->second.name());
    response.mutable_file()->set_root_hash(request.root_hash());
    if (id == request.exclude_peer_id()) continue;
    v1::FilePeer* p = response.add_peers();
    p->set_peer_id(id);
    p->set_username(peer.username);
    p->set_chunk_endpoint(peer.endpoint);
    p->set_chunks_have(it->second.chunks_have());
  }
  if (!response.has_file()) return absl::NotFoundError("no such file");
  return response;
}

absl::Status FakeTrackerClient::Rename(uint64_t peer_id, uint64_t peer_key,
                                       const std::string& new_username) {
  std::lock_guard<std::mutex> lock(registry_->mu);
  auto it = registry_->peers.find(peer_id);
  if (it == registry_->peers.end()) return absl::NotFoundError("unknown peer");
  if (it->second.key != peer_key) return absl::PermissionDeniedError("not owner");
  for (const auto& [id, peer] : registry_->peers) {
    if (id != peer_id && peer.username == new_username) {
      return absl::AlreadyExistsError("username taken");
    }
  }
  it->second.username = new_username;
  return absl::OkStatus();
}

absl::StatusOr<v1::GetStatsResponse> FakeTrackerClient::GetStats() {
  std::lock_guard<std::mutex> lock(registry_->mu);
  v1::GetStatsResponse response;
  response.set_peers(static_cast<uint32_t>(registry_->peers.size()));
  return response;
}

}  // namespace pytorrent::peer
