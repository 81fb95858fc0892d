// One SIGTERM or SIGINT stops a real peer process in every mode, within a
// bounded time, with exit code 0.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

// Far above a healthy stop (admin server, threads, a 1 s Leave), far below
// what a stop waiting for a second signal or a full tracker retry ladder
// would take.
constexpr absl::Duration kStopBound = absl::Seconds(4);

// Polls `peer`'s stdout until its --download JSON line appears.
bool AwaitDownloadLine(const PeerProcess& peer, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (!LastJsonLineWith(peer.Stdout(), "state").empty()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

TEST(SignalIntegrationTest, OneSigtermStopsADownloadThatKeepsRunning) {
  const std::string dir = TestDir("sigterm_keep_running");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  const std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  const std::string source = dir + "/seeder/user/shared_files/a.bin";
  WriteRandomFile(source, 1 << 20, 11);
  auto seeder = PeerProcess::Start({.home = dir + "/seeder", .args = {"--tracker", addr}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  auto leecher = PeerProcess::Start(
      {.home = dir + "/leecher",
       .args = {"--tracker", addr, "--download", RootHexOf(source, 256), "--keep-running"},
       .wait_ready = false});
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  ASSERT_TRUE(AwaitDownloadLine(**leecher, absl::Seconds(60)));
  EXPECT_EQ(LastJsonLineWith((*leecher)->Stdout(), "state")["state"], "COMPLETED");
  ASSERT_TRUE((*leecher)->running());

  const absl::Time signalled = absl::Now();
  ::kill((*leecher)->pid(), SIGTERM);
  EXPECT_EQ((*leecher)->Wait(kStopBound), 0);
  ::testing::Test::RecordProperty(
      "stop_ms", static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - signalled)));
}

TEST(SignalIntegrationTest, OneSigtermStopsPromptlyWithTheTrackerGone) {
  const std::string dir = TestDir("sigterm_no_tracker");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto peer =
      PeerProcess::Start({.home = dir + "/peer",
                          .args = {"--tracker", absl::StrCat("127.0.0.1:", (*tracker)->port())}});
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_EQ((*tracker)->Stop(), 0);

  const absl::Time start = absl::Now();
  EXPECT_EQ((*peer)->Stop(absl::Seconds(30)), 0);
  EXPECT_LT(absl::Now() - start, kStopBound);
  ::testing::Test::RecordProperty("stop_ms",
                                  static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - start)));
}

TEST(SignalIntegrationTest, OneSigintStopsAServingNode) {
  const std::string dir = TestDir("sigint");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto peer =
      PeerProcess::Start({.home = dir + "/peer",
                          .args = {"--tracker", absl::StrCat("127.0.0.1:", (*tracker)->port())}});
  ASSERT_TRUE(peer.ok()) << peer.status();
  ::kill((*peer)->pid(), SIGINT);
  EXPECT_EQ((*peer)->Wait(kStopBound), 0);
}

}  // namespace
}  // namespace pytorrent::testing
