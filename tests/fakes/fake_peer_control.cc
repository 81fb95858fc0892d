#include "tests/fakes/fake_peer_control.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace pytorrent::testing {
namespace {

constexpr uint64_t kRateBytesPerS = 4 * 1024 * 1024;
// StartDownload by this name makes a download that waits and says why.
constexpr char kStalledName[] = "stalled.iso";

absl::string_view Sv(const std::string& s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

std::string FakeRootHash(const std::string& name) {
  return DigestToBytes(Sha256::Of("root:" + name));
}

FakePeerControl::FakePeerControl() = default;

void FakePeerControl::FillDemo(FakePeerControl& fake, const std::string& username) {
  v1::PeerStatus status;
  status.set_peer_id(0x1111222233334444ULL);
  status.set_username(username);
  status.set_tracker_address(username.empty() ? "" : "127.0.0.1:6969");
  status.set_tracker_reachable(!username.empty());
  status.set_chunk_endpoint("tcp://127.0.0.1:6881");
  status.set_shared_files(2);
  status.set_download_rate_bytes_per_s(0);
  status.set_upload_rate_bytes_per_s(1536000);
  status.set_downloaded_bytes(0);
  status.set_uploaded_bytes(52428800);
  status.set_chunks_served(200);
  status.set_manifests_served(4);
  status.set_rejects_sent(3);
  status.set_malformed_frames(1);
  status.set_home_dir("/home/demo/.pytorrent/node");
  fake.SetStatus(status);

  const char* const kPeers[][2] = {{"alice", "tcp://127.0.0.1:7001"},
                                   {"bob", "tcp://127.0.0.1:7002"},
                                   {"carol", "tcp://127.0.0.1:7003"}};
  uint64_t id = 0xA0A0000000000001ULL;
  uint32_t files = 3;
  for (const auto& p : kPeers) {
    v1::PeerInfo peer;
    peer.set_peer_id(id++);
    peer.set_username(p[0]);
    peer.set_chunk_endpoint(p[1]);
    peer.set_file_count(files--);
    fake.AddPeer(peer);
  }

  const std::pair<const char*, uint64_t> kShared[] = {{"holiday.jpg", 3145728},
                                                      {"notes.txt", 1234}};
  for (const auto& [name, size] : kShared) {
    v1::SharedFile file;
    file.set_name(name);
    file.set_size_bytes(size);
    file.set_chunk_size_bytes(262144);
    file.set_root_hash(FakeRootHash(name));
    file.set_file_sha256(DigestToBytes(Sha256::Of(std::string("file:") + name)));
    file.set_seeding(true);
    fake.AddSharedFile(file);
  }

  const struct {
    const char* name;
    uint64_t size;
    uint32_t seeders;
    uint32_t leechers;
  } kNetwork[] = {{"big_buck_bunny.mp4", 20971520, 3, 1},
                  {"debian-12.iso", 104857600, 2, 0},
                  {"holiday.jpg", 3145728, 1, 0},
                  {"readme.md", 4096, 1, 2}};
  for (const auto& n : kNetwork) {
    v1::FileSummary file;
    file.set_name(n.name);
    file.set_size_bytes(n.size);
    file.set_chunk_size_bytes(262144);
    file.set_root_hash(FakeRootHash(n.name));
    file.set_seeders(n.seeders);
    file.set_leechers(n.leechers);
    fake.AddNetworkFile(file);
  }
}

void FakePeerControl::SetStatus(const v1::PeerStatus& status) {
  MutexLock lock(mu_);
  status_ = status;
}

void FakePeerControl::AddPeer(const v1::PeerInfo& peer) {
  MutexLock lock(mu_);
  peers_.push_back(peer);
}

void FakePeerControl::AddSharedFile(const v1::SharedFile& file) {
  MutexLock lock(mu_);
  shared_.push_back(file);
}

void FakePeerControl::AddNetworkFile(const v1::FileSummary& file) {
  MutexLock lock(mu_);
  network_.push_back(file);
}

void FakePeerControl::SetTrackerDown(bool down) {
  MutexLock lock(mu_);
  tracker_down_ = down;
}

void FakePeerControl::AddTakenUsername(const std::string& username) {
  MutexLock lock(mu_);
  taken_usernames_.push_back(username);
}

void FakePeerControl::SetOnDisconnect(std::function<void()> on_disconnect) {
  MutexLock lock(mu_);
  on_disconnect_ = std::move(on_disconnect);
}

bool FakePeerControl::AdvanceLocked(uint64_t download_id, uint64_t bytes) {
  auto it = downloads_.find(download_id);
  if (it == downloads_.end() || peer::IsTerminalDownloadState(it->second.progress.state()))
    return false;
  // A download that waits for unreachable peers never moves.
  if (!it->second.progress.waiting_reason().empty()) return false;
  v1::DownloadProgress& p = it->second.progress;
  const uint64_t done = std::min(p.size_bytes(), p.bytes_done() + bytes);
  p.set_bytes_done(done);
  const uint64_t chunk = std::max<uint64_t>(1, 262144);
  p.set_chunks_done(static_cast<uint32_t>(done == p.size_bytes()
                                              ? p.chunk_count()
                                              : std::min<uint64_t>(p.chunk_count(), done / chunk)));
  p.set_seeders(2);
  p.clear_peers();
  v1::PeerContribution* a = p.add_peers();
  a->set_peer_id(0xA0A0000000000001ULL);
  a->set_username("alice");
  a->set_chunk_endpoint("tcp://127.0.0.1:7001");
  a->set_bytes_received(done - done / 2);
  v1::PeerContribution* b = p.add_peers();
  b->set_peer_id(0xA0A0000000000002ULL);
  b->set_username("bob");
  b->set_chunk_endpoint("tcp://127.0.0.1:7002");
  b->set_bytes_received(done / 2);
  // As if every byte so far came at the demo rate.
  p.set_bytes_received(done);
  p.set_elapsed_ms(std::max<uint64_t>(1, done * 1000 / kRateBytesPerS));
  if (done == p.size_bytes()) {
    p.set_state(v1::DOWNLOAD_STATE_COMPLETED);
    p.set_rate_bytes_per_s(0);
    p.set_eta_seconds(0);
    p.set_seeders(0);
    p.set_file_sha256(DigestToBytes(Sha256::Of("file:" + p.name())));
    p.set_path(status_.home_dir() + "/user/downloads/" + p.name());
  } else {
    p.set_state(v1::DOWNLOAD_STATE_DOWNLOADING);
    p.set_rate_bytes_per_s(kRateBytesPerS);
    p.set_eta_seconds((p.size_bytes() - done + kRateBytesPerS - 1) / kRateBytesPerS);
  }
  ++it->second.version;
  download_changed_.SignalAll();
  return true;
}

bool FakePeerControl::Advance(uint64_t download_id, uint64_t bytes) {
  MutexLock lock(mu_);
  return AdvanceLocked(download_id, bytes);
}

bool FakePeerControl::Fail(uint64_t download_id, const std::string& error) {
  MutexLock lock(mu_);
  auto it = downloads_.find(download_id);
  if (it == downloads_.end() || peer::IsTerminalDownloadState(it->second.progress.state()))
    return false;
  it->second.progress.set_state(v1::DOWNLOAD_STATE_FAILED);
  it->second.progress.set_error(error);
  ++it->second.version;
  download_changed_.SignalAll();
  return true;
}

void FakePeerControl::Tick(uint64_t bytes) {
  MutexLock lock(mu_);
  for (auto& [id, snapshot] : downloads_) AdvanceLocked(id, bytes);
}

std::string FakePeerControl::username() const {
  MutexLock lock(mu_);
  return status_.username();
}

v1::UpdateSettingsRequest FakePeerControl::last_settings() const {
  MutexLock lock(mu_);
  return last_settings_;
}

std::map<std::string, bool> FakePeerControl::seeding_calls() const {
  MutexLock lock(mu_);
  return seeding_calls_;
}

int FakePeerControl::disconnect_calls() const {
  MutexLock lock(mu_);
  return disconnect_calls_;
}

std::vector<std::string> FakePeerControl::shared_paths() const {
  MutexLock lock(mu_);
  return shared_paths_;
}

v1::PeerStatus FakePeerControl::GetStatus() {
  MutexLock lock(mu_);
  v1::PeerStatus status = status_;
  status.set_shared_files(static_cast<uint32_t>(shared_.size()));
  uint32_t active = 0;
  for (const auto& [id, snapshot] : downloads_) {
    if (!peer::IsTerminalDownloadState(snapshot.progress.state())) ++active;
  }
  status.set_active_downloads(active);
  return status;
}

absl::StatusOr<v1::ListPeersResponse> FakePeerControl::ListPeers(const v1::ListPeersRequest&) {
  MutexLock lock(mu_);
  if (tracker_down_) return absl::UnavailableError("tracker 127.0.0.1:6969 did not answer");
  v1::ListPeersResponse response;
  for (const v1::PeerInfo& peer : peers_) *response.add_peers() = peer;
  response.set_total_peers(static_cast<uint32_t>(peers_.size()));
  return response;
}

v1::ListSharedFilesResponse FakePeerControl::ListSharedFiles() {
  MutexLock lock(mu_);
  v1::ListSharedFilesResponse response;
  for (const v1::SharedFile& file : shared_) *response.add_files() = file;
  return response;
}

absl::StatusOr<v1::SearchFilesResponse> FakePeerControl::SearchFiles(
    const v1::SearchFilesRequest& request) {
  MutexLock lock(mu_);
  if (tracker_down_) return absl::UnavailableError("tracker 127.0.0.1:6969 did not answer");
  v1::SearchFilesResponse response;
  for (const v1::FileSummary& file : network_) {
    if (absl::StrContains(absl::AsciiStrToLower(Sv(file.name())),
                          absl::AsciiStrToLower(Sv(request.query())))) {
      *response.add_files() = file;
    }
  }
  return response;
}

absl::StatusOr<uint64_t> FakePeerControl::StartDownload(const v1::StartDownloadRequest& request) {
  MutexLock lock(mu_);
  const v1::FileSummary* found = nullptr;
  for (const v1::FileSummary& file : network_) {
    const bool match = request.root_hash().empty() ? file.name() == request.name()
                                                   : file.root_hash() == request.root_hash();
    if (match) {
      found = &file;
      break;
    }
  }
  if (found == nullptr && request.name() == kStalledName) {
    // Not on the network's lists, but known to three peers nobody reaches:
    // a download that waits and says why (the CLI's stall display).
    const uint64_t id = next_download_id_++;
    peer::DownloadSnapshot& snapshot = downloads_[id];
    snapshot.version = 1;
    v1::DownloadProgress& p = snapshot.progress;
    p.set_download_id(id);
    p.set_name(kStalledName);
    p.set_root_hash(FakeRootHash(kStalledName));
    p.set_state(v1::DOWNLOAD_STATE_STARTING);
    p.set_waiting_reason(
        "3 peers known, none reachable: tcp://10.9.0.11:37039 no answer for 20 s (4 s ago)");
    const struct {
      const char* name;
      const char* endpoint;
      v1::PeerLinkState state;
      uint64_t ms;
      const char* detail;
    } kPeers[] = {{"ada", "tcp://10.9.0.11:37039", v1::PEER_LINK_STATE_UNREACHABLE, 4000,
                   "no answer for 20 s"},
                  {"grace", "tcp://10.9.0.12:45345", v1::PEER_LINK_STATE_CONNECTING, 12000,
                   "no answer for 12 s"},
                  {"mallory", "tcp://10.9.0.66:6881", v1::PEER_LINK_STATE_BANNED, 61000,
                   "3 chunks failed their SHA-256 check"}};
    for (const auto& k : kPeers) {
      v1::PeerContribution* c = p.add_peers();
      c->set_username(k.name);
      c->set_chunk_endpoint(k.endpoint);
      c->set_state(k.state);
      c->set_state_ms(k.ms);
      c->set_detail(k.detail);
      c->set_banned(k.state == v1::PEER_LINK_STATE_BANNED);
    }
    return id;
  }
  if (found == nullptr) {
    return absl::NotFoundError(
        request.root_hash().empty()
            ? absl::StrCat("no file named '", request.name(), "' on the network; try search")
            : std::string("no file with that root hash on the network"));
  }
  const uint64_t id = next_download_id_++;
  peer::DownloadSnapshot snapshot;
  snapshot.version = 1;
  v1::DownloadProgress& p = snapshot.progress;
  p.set_download_id(id);
  p.set_name(found->name());
  p.set_root_hash(found->root_hash());
  p.set_state(v1::DOWNLOAD_STATE_STARTING);
  p.set_size_bytes(found->size_bytes());
  p.set_chunk_count(static_cast<uint32_t>((found->size_bytes() + found->chunk_size_bytes() - 1) /
                                          std::max<uint32_t>(1, found->chunk_size_bytes())));
  p.set_seeders(found->seeders());
  downloads_[id] = std::move(snapshot);
  return id;
}

absl::StatusOr<peer::DownloadSnapshot> FakePeerControl::AwaitDownloadChange(uint64_t download_id,
                                                                            uint64_t after_version,
                                                                            absl::Time deadline) {
  MutexLock lock(mu_);
  auto changed = [&] {
    mu_.AssertHeld();
    auto it = downloads_.find(download_id);
    return it == downloads_.end() || it->second.version > after_version;
  };
  download_changed_.WaitUntil(mu_, deadline, changed);
  auto it = downloads_.find(download_id);
  if (it == downloads_.end()) {
    return absl::NotFoundError(absl::StrCat("no download with id ", download_id));
  }
  return it->second;
}

v1::ListDownloadsResponse FakePeerControl::ListDownloads() {
  MutexLock lock(mu_);
  v1::ListDownloadsResponse response;
  for (const auto& [id, snapshot] : downloads_) *response.add_downloads() = snapshot.progress;
  return response;
}

absl::Status FakePeerControl::CancelDownload(uint64_t download_id) {
  MutexLock lock(mu_);
  auto it = downloads_.find(download_id);
  if (it == downloads_.end()) {
    return absl::NotFoundError(absl::StrCat("no download with id ", download_id));
  }
  if (peer::IsTerminalDownloadState(it->second.progress.state())) {
    return absl::FailedPreconditionError(absl::StrCat("download ", download_id, " already ended"));
  }
  it->second.progress.set_state(v1::DOWNLOAD_STATE_CANCELLED);
  ++it->second.version;
  download_changed_.SignalAll();
  return absl::OkStatus();
}

absl::StatusOr<v1::SharedFile> FakePeerControl::ShareFile(const std::string& path) {
  MutexLock lock(mu_);
  const std::string name = path.substr(path.find_last_of('/') + 1);
  for (const v1::SharedFile& file : shared_) {
    if (file.name() == name) {
      return absl::AlreadyExistsError(absl::StrCat("a shared file named '", name, "' exists"));
    }
  }
  if (absl::StartsWith(Sv(path), "/nonexistent")) {
    return absl::NotFoundError(absl::StrCat("no such file: ", path));
  }
  v1::SharedFile file;
  file.set_name(name);
  file.set_size_bytes(1000);
  file.set_chunk_size_bytes(262144);
  file.set_root_hash(FakeRootHash(name));
  file.set_file_sha256(DigestToBytes(Sha256::Of("file:" + name)));
  file.set_seeding(true);
  shared_.push_back(file);
  shared_paths_.push_back(path);
  return file;
}

absl::Status FakePeerControl::SetSeeding(const std::string& root_hash, bool seeding) {
  MutexLock lock(mu_);
  bool known = false;
  for (v1::SharedFile& file : shared_) {
    if (file.root_hash() == root_hash) {
      file.set_seeding(seeding);
      known = true;
    }
  }
  for (const auto& [id, snapshot] : downloads_) {
    if (snapshot.progress.root_hash() == root_hash &&
        snapshot.progress.state() == v1::DOWNLOAD_STATE_COMPLETED) {
      known = true;
    }
  }
  if (!known) return absl::NotFoundError("this node holds no file with that root hash");
  seeding_calls_[root_hash] = seeding;
  return absl::OkStatus();
}

absl::Status FakePeerControl::ChangeUsername(const std::string& new_username) {
  MutexLock lock(mu_);
  if (std::find(taken_usernames_.begin(), taken_usernames_.end(), new_username) !=
      taken_usernames_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("username '", new_username, "' is taken on the tracker; pick another"));
  }
  status_.set_username(new_username);
  return absl::OkStatus();
}

absl::Status FakePeerControl::UpdateSettings(const v1::UpdateSettingsRequest& request) {
  MutexLock lock(mu_);
  last_settings_ = request;
  if (!request.username().empty()) status_.set_username(request.username());
  if (!request.tracker_host().empty() || request.tracker_port() != 0) {
    status_.set_tracker_address(absl::StrCat(request.tracker_host(), ":", request.tracker_port()));
  }
  return absl::OkStatus();
}

absl::Status FakePeerControl::Disconnect() {
  std::function<void()> on_disconnect;
  {
    MutexLock lock(mu_);
    ++disconnect_calls_;
    on_disconnect = on_disconnect_;
  }
  if (on_disconnect) on_disconnect();
  return absl::OkStatus();
}

}  // namespace pytorrent::testing
