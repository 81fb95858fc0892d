// PeerNode settings and persistence through its PeerControl surface, with
// in-memory trackers: first-run username, UpdateSettings applied at once
// (rename, tracker switch), seeding switches across restarts, identical
// shared files counted by path, prompt re-announce of partial downloads.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/peer/fake_tracker_client.h"
#include "tests/peer/peer_node_fixture.h"

namespace pytorrent::peer {
namespace {

// Polls `done` until it holds or 15 s pass (a deadline wait on state that
// another thread of the node changes).
bool WaitFor(const std::function<bool()>& done) {
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    if (done()) return true;
    usleep(20'000);
  }
  return done();
}

class PeerNodeSettingsTest : public PeerNodeFixture {
 protected:
  // The registry's view of a peer (empty username if unknown).
  static FakeTrackerRegistry::Peer PeerIn(FakeTrackerRegistry& registry, uint64_t id) {
    std::lock_guard<std::mutex> lock(registry.mu);
    auto it = registry.peers.find(id);
    return it == registry.peers.end() ? FakeTrackerRegistry::Peer{} : it->second;
  }
};

TEST_F(PeerNodeSettingsTest, NoUsernameUntilConfiguredThenRenamedAtOnceAndSaved) {
  auto node = Start(Options("anon", ""));
  ASSERT_NE(node, nullptr);
  // The CLI's first run keys on these being empty...
  EXPECT_EQ(node->GetStatus().username(), "");
  EXPECT_EQ(node->GetStatus().tracker_address(), "");
  // ...while the tracker knows a placeholder.
  std::string placeholder = PeerIn(*registry_, node->peer_id()).username;
  EXPECT_TRUE(absl::StartsWith(placeholder, "peer-")) << placeholder;

  // A name taken by another peer is refused at once, nothing saved.
  {
    std::lock_guard<std::mutex> lock(registry_->mu);
    registry_->peers[42].username = "taken";
  }
  v1::UpdateSettingsRequest taken;
  taken.set_username("taken");
  EXPECT_EQ(node->UpdateSettings(taken).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(node->GetStatus().username(), "");
  EXPECT_FALSE(absl::StrContains(ReadAll(base_ + "/anon/config/config.txt"), "username=taken"));

  v1::UpdateSettingsRequest request;
  request.set_username("carol");
  ASSERT_TRUE(node->UpdateSettings(request).ok());
  EXPECT_EQ(node->GetStatus().username(), "carol");
  // Renamed on the tracker before UpdateSettings returned.
  EXPECT_EQ(PeerIn(*registry_, node->peer_id()).username, "carol");
  const std::string saved_text = ReadAll(base_ + "/anon/config/config.txt");
  absl::StatusOr<PeerConfig> saved = ParsePeerConfig(saved_text);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->username, "carol");
  // Only the username was written: values the node got from its options
  // (flags) stay out of the file.
  EXPECT_FALSE(absl::StrContains(saved_text, "chunk_size_kib")) << saved_text;
  EXPECT_FALSE(absl::StrContains(saved_text, "announce_interval_s")) << saved_text;
  // Saved atomically: nothing but the config is left in config/.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(base_ + "/anon/config")) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "config.txt");
  }
  EXPECT_EQ(entries, 1);

  request.set_username("bad name");
  EXPECT_EQ(node->UpdateSettings(request).code(), absl::StatusCode::kInvalidArgument);
}

TEST(PeerConfigTrackerTest, TrackerCountsAsConfiguredOnlyWhenSet) {
  absl::StatusOr<PeerConfig> bare = ParsePeerConfig("username=x\n");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->tracker_configured);
  // A config written before any tracker was chosen stays "not configured".
  EXPECT_FALSE(absl::StrContains(FormatPeerConfig(*bare), "tracker_"));
  absl::StatusOr<PeerConfig> back = ParsePeerConfig(FormatPeerConfig(*bare));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->tracker_configured);
  absl::StatusOr<PeerConfig> port_only = ParsePeerConfig("tracker_port=7000\n");
  ASSERT_TRUE(port_only.ok());
  EXPECT_TRUE(port_only->tracker_configured);
  PeerConfig chosen;
  chosen.tracker_configured = true;  // the default address, chosen explicitly
  back = ParsePeerConfig(FormatPeerConfig(chosen));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->tracker_configured);
  EXPECT_EQ(back->tracker_port, 6969);
}

TEST_F(PeerNodeSettingsTest, UpdateSettingsSwitchesTrackerAtOnce) {
  auto second = std::make_shared<FakeTrackerRegistry>();
  PeerNodeOptions options = Options("mover", "");
  options.tracker_factory = [second](
                                const std::string& host,
                                uint16_t port) -> absl::StatusOr<std::unique_ptr<TrackerClient>> {
    if (host != "tracker-b" || port != 7000) return absl::InvalidArgumentError("unknown host");
    return std::make_unique<FakeTrackerClient>(second);
  };
  Share("mover", "song.bin", 40'000, 1);
  auto node = Start(options);
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(PeerIn(*registry_, node->peer_id()).files.size(), 1u);

  v1::UpdateSettingsRequest bad;
  bad.set_tracker_host("nowhere");
  bad.set_tracker_port(7000);
  EXPECT_EQ(node->UpdateSettings(bad).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(node->GetStatus().tracker_address(), "") << "default tracker, not configured";

  v1::UpdateSettingsRequest request;
  request.set_username("dave");
  request.set_tracker_host("tracker-b");
  request.set_tracker_port(7000);
  ASSERT_TRUE(node->UpdateSettings(request).ok());
  EXPECT_EQ(node->GetStatus().tracker_address(), "tracker-b:7000");
  EXPECT_EQ(node->GetStatus().username(), "dave");
  // Re-announced to the new tracker (files and name) and left the old one,
  // long before the 60 s announce interval.
  EXPECT_TRUE(WaitFor([&] {
    FakeTrackerRegistry::Peer p = PeerIn(*second, node->peer_id());
    return p.username == "dave" && p.files.size() == 1;
  }));
  EXPECT_TRUE(WaitFor([&] { return PeerIn(*registry_, node->peer_id()).username.empty(); }));
  // Lookups go to the new tracker too.
  absl::StatusOr<v1::ListPeersResponse> peers = node->ListPeers({});
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->peers_size(), 1);
  EXPECT_EQ(peers->peers(0).username(), "dave");

  absl::StatusOr<PeerConfig> saved = ParsePeerConfig(ReadAll(base_ + "/mover/config/config.txt"));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->tracker_host, "tracker-b");
  EXPECT_EQ(saved->tracker_port, 7000);
  EXPECT_EQ(saved->username, "dave");
}

TEST_F(PeerNodeSettingsTest, SeedingSwitchSurvivesRestart) {
  Share("keeper", "a.bin", 30'000, 1);
  Share("keeper", "b.bin", 30'000, 2);
  std::string root_a, root_b;
  {
    auto node = Start(Options("keeper", "keeper"));
    ASSERT_NE(node, nullptr);
    v1::ListSharedFilesResponse files = node->ListSharedFiles();
    ASSERT_EQ(files.files_size(), 2);
    for (const auto& f : files.files()) (f.name() == "a.bin" ? root_a : root_b) = f.root_hash();
    ASSERT_TRUE(node->SetSeeding(root_a, false).ok());
    EXPECT_TRUE(WaitFor([&] { return PeerIn(*registry_, node->peer_id()).files.size() == 1; }));
    node->Stop();
  }
  EXPECT_TRUE(std::filesystem::exists(base_ + "/keeper/state/seeding_off"));
  auto node = Start(Options("keeper", "keeper"));
  ASSERT_NE(node, nullptr);
  // First announce after the restart already leaves a.bin out.
  FakeTrackerRegistry::Peer p = PeerIn(*registry_, node->peer_id());
  EXPECT_EQ(p.files.size(), 1u);
  EXPECT_EQ(p.files.count(root_b), 1u);
  v1::ListSharedFilesResponse after = node->ListSharedFiles();
  ASSERT_EQ(after.files_size(), 2);
  for (const auto& f : after.files()) {
    EXPECT_EQ(f.seeding(), f.root_hash() == root_b) << f.name();
  }
  ASSERT_TRUE(node->SetSeeding(root_a, true).ok());
  EXPECT_TRUE(WaitFor([&] { return PeerIn(*registry_, node->peer_id()).files.size() == 2; }));
  node->Stop();
  // Switched back on: the file list is empty again.
  EXPECT_EQ(ReadAll(base_ + "/keeper/state/seeding_off"), "");
}

TEST_F(PeerNodeSettingsTest, IdenticalFilesAreCountedByPath) {
  std::string data = Share("twins", "a.bin", 50'000, 7);
  std::filesystem::copy_file(base_ + "/twins/user/shared_files/a.bin",
                             base_ + "/twins/user/shared_files/b.bin");
  struct timespec t = {::time(nullptr) - 60, 0};
  struct timespec times[2] = {t, t};
  ::utimensat(AT_FDCWD, (base_ + "/twins/user/shared_files/b.bin").c_str(), times, 0);
  auto node = Start(Options("twins", "twins"));
  ASSERT_NE(node, nullptr);
  ASSERT_EQ(node->ListSharedFiles().files_size(), 1);
  std::string root = node->ListSharedFiles().files(0).root_hash();

  // a.bin is rewritten (another root); marker.txt shows the scan saw it.
  Share("twins", "a.bin", 50'000, 8);
  Share("twins", "marker.txt", 100, 9);
  auto has = [&](const std::string& r) {
    return PeerIn(*registry_, node->peer_id()).files.count(r) > 0;
  };
  ASSERT_TRUE(WaitFor([&] { return node->ListSharedFiles().files_size() == 3; }));
  // The announce after that scan: all three roots, the first one included.
  EXPECT_TRUE(WaitFor([&] { return PeerIn(*registry_, node->peer_id()).files.size() == 3; }));
  EXPECT_TRUE(has(root)) << "b.bin still holds the first root";

  // Served from b.bin now: another node downloads the right bytes.
  auto other = Start(Options("getter", "getter"));
  ASSERT_NE(other, nullptr);
  v1::StartDownloadRequest request;
  request.set_root_hash(root);
  absl::StatusOr<uint64_t> id = other->StartDownload(request);
  ASSERT_TRUE(id.ok()) << id.status();
  std::string path;
  ASSERT_TRUE(WaitFor([&] {
    auto s = other->AwaitDownloadChange(*id, 0, absl::Now());
    if (s.ok()) path = s->progress.path();
    return s.ok() && s->progress.state() == v1::DOWNLOAD_STATE_COMPLETED;
  }));
  EXPECT_TRUE(ReadAll(path) == data) << path;

  // The last copy goes: withdrawn.
  std::filesystem::remove(base_ + "/twins/user/shared_files/b.bin");
  EXPECT_TRUE(WaitFor([&] { return !has(root); }));
  EXPECT_EQ(node->ListSharedFiles().files_size(), 2);
}

TEST_F(PeerNodeSettingsTest, PartialDownloadReannouncesChunksPromptly) {
  // 24 chunks of 16 KiB served at 32 KiB/s: about 12 s to finish, while the
  // announce interval is 60 s.
  PeerNodeOptions seeder_options = Options("slow", "slow");
  seeder_options.fault_throttle_bytes_per_s = 32 * 1024;
  Share("slow", "big.bin", 24 * 16 * 1024, 3);
  auto seeder = Start(seeder_options);
  ASSERT_NE(seeder, nullptr);
  auto leecher = Start(Options("eager", "eager"));
  ASSERT_NE(leecher, nullptr);
  std::string root = seeder->ListSharedFiles().files(0).root_hash();
  v1::StartDownloadRequest request;
  request.set_root_hash(root);
  ASSERT_TRUE(leecher->StartDownload(request).ok());
  auto chunks_announced = [&] {
    FakeTrackerRegistry::Peer p = PeerIn(*registry_, leecher->peer_id());
    auto it = p.files.find(root);
    return it == p.files.end() ? 0u : it->second.chunks_have();
  };
  // The first announce of the partial file may carry 0 chunks; a later one
  // (rate-limited to one per 5 s) carries the progress.
  EXPECT_TRUE(WaitFor([&] {
    uint32_t n = chunks_announced();
    return n > 0 && n < 24;
  })) << chunks_announced();
}

}  // namespace
}  // namespace pytorrent::peer
