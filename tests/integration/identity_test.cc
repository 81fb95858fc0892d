// A node keeps its identity across restarts (state/identity): killed with
// SIGKILL (no Leave) and started again on the same home, it refreshes its own
// registration at once, under its own name, instead of being refused as
// ALREADY_EXISTS until the dead registration expires (2 x 60 s here). A
// second node on a running node's home is refused with one line and exit 1.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "gtest/gtest.h"
#include "peer/tracker_client.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

// Peers the tracker lists for `root_hex` (0 if unknown or unreachable).
int PeersOf(peer::TrackerClient& client, const std::string& root_hex) {
  Sha256Digest root{};
  if (!DigestFromHex(root_hex, root)) return 0;
  v1::GetFilePeersRequest request;
  request.set_root_hash(DigestToBytes(root));
  absl::StatusOr<v1::GetFilePeersResponse> found = client.GetFilePeers(request);
  return found.ok() ? found->peers_size() : 0;
}

TEST(IdentityIntegrationTest, ARestartedNodeReRegistersUnderItsOwnNameAtOnce) {
  const std::string dir = TestDir("identity_restart");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  const std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  const std::vector<std::string> args = {
      "--tracker", addr, "--username", "alice", "--announce-interval-s", "60"};
  const std::string home = dir + "/alice";
  auto first = PeerProcess::Start({.home = home, .args = args});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string identity = ReadFile(home + "/state/identity");
  ASSERT_NE(identity.find("peer_id="), std::string::npos);
  (*first)->Kill9();  // no Leave: the tracker still holds alice's registration

  // A file the first run never announced: listed only if the restarted
  // node's announce is accepted.
  const std::string source = home + "/user/shared_files/new.bin";
  WriteRandomFile(source, 64 << 10, 3);
  const std::string root = RootHexOf(source, 256);
  const absl::Time restarted = absl::Now();
  auto second = PeerProcess::Start({.home = home, .args = args});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(ReadFile(home + "/state/identity"), identity);
  auto client = peer::TrackerClient::Create({.host = "127.0.0.1",
                                             .port = (*tracker)->port(),
                                             .initial_timeout = absl::Milliseconds(200),
                                             .max_retries = 3});
  ASSERT_TRUE(client.ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (PeersOf(**client, root) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));  // polling interval of the deadline wait
  }
  EXPECT_EQ(PeersOf(**client, root), 1) << "restarted node not registered within 20 s";
  ::testing::Test::RecordProperty(
      "registered_after_restart_ms",
      static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - restarted)));
  EXPECT_EQ(ReadFile(home + "/stderr.txt").find("ALREADY_EXISTS"), std::string::npos);
  EXPECT_EQ(ReadFile(home + "/logs/peer.log").find("taken by another peer"), std::string::npos);
}

TEST(IdentityIntegrationTest, ASecondNodeOnTheSameHomeIsRefused) {
  const std::string dir = TestDir("identity_second");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  const std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  auto first = PeerProcess::Start({.home = dir + "/home", .args = {"--tracker", addr}});
  ASSERT_TRUE(first.ok()) << first.status();
  std::filesystem::remove(dir + "/home/stderr.txt");
  auto second =
      PeerProcess::Start({.home = dir + "/home", .args = {"--tracker", addr}, .wait_ready = false});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->Wait(absl::Seconds(20)), 1);
  const std::string err = ReadFile(dir + "/home/stderr.txt");
  EXPECT_NE(err.find("already running"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_TRUE((*first)->running());
  EXPECT_EQ((*first)->Stop(), 0);
}

TEST(IdentityIntegrationTest, ADamagedIdentityIsAClearStartUpError) {
  const std::string dir = TestDir("identity_damaged");
  std::filesystem::create_directories(dir + "/home/state");
  { std::ofstream(dir + "/home/state/identity") << "peer_id=12\n"; }
  auto peer = PeerProcess::Start(
      {.home = dir + "/home", .args = {"--tracker", "127.0.0.1:9"}, .wait_ready = false});
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ((*peer)->Wait(absl::Seconds(20)), 1);  // every start-up failure exits 1
  const std::string err = ReadFile(dir + "/home/stderr.txt");
  EXPECT_NE(err.find("identity is damaged"), std::string::npos) << err;
}

}  // namespace
}  // namespace pytorrent::testing
