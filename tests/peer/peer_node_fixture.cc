#include "tests/peer/peer_node_fixture.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/peer/stable_file.h"

namespace pytorrent::peer {

void PeerNodeFixture::SetUp() {
  base_ = std::string(getenv("TEST_TMPDIR")) + "/" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::remove_all(base_);
  registry_ = std::make_shared<FakeTrackerRegistry>();
}

std::string PeerNodeFixture::Share(const std::string& node, const std::string& name, size_t size,
                                   int seed) {
  return WriteStableFile(base_ + "/" + node + "/user/shared_files", name, size, seed);
}

PeerNodeOptions PeerNodeFixture::Options(const std::string& node, const std::string& username) {
  PeerNodeOptions options;
  options.home = base_ + "/" + node;
  options.config.username = username;
  options.config.chunk_size_kib = 16;
  options.config.announce_interval_s = 60;
  // Loopback, any port (the default is every interface, port 6881).
  options.config.chunk_listen = "tcp://127.0.0.1:0";
  options.config_path = options.home + "/config/config.txt";
  options.scan_interval = absl::Milliseconds(100);
  options.scheduler.request_timeout = absl::Seconds(2);
  return options;
}

std::unique_ptr<PeerNode> PeerNodeFixture::Start(PeerNodeOptions options) {
  auto started = PeerNode::Start(options, std::make_unique<FakeTrackerClient>(registry_));
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return nullptr;
  EXPECT_TRUE((*started)->WaitReady(absl::Seconds(10)).ok());
  return *std::move(started);
}

DownloadSnapshot PeerNodeFixture::AwaitEnd(PeerNode& node, uint64_t id) {
  DownloadSnapshot snapshot;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    auto next = node.AwaitDownloadChange(id, snapshot.version, deadline);
    EXPECT_TRUE(next.ok());
    if (!next.ok()) break;
    snapshot = *next;
    if (IsTerminalDownloadState(snapshot.progress.state())) break;
  }
  return snapshot;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace pytorrent::peer
