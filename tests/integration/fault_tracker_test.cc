// The tracker killed (SIGKILL) mid-download and restarted on its port, with
// and without a shared --secret-file (without one, every connection id the
// peers hold is refused and they connect again). The download goes on from
// the seeder it knows, finds a seeder that appeared after the restart only
// through the restarted tracker, and completes with the right SHA-256,
// every chunk fetched once (beyond the endgame's few duplicates).
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/fault_swarm.h"

namespace pytorrent::testing {
namespace {

class FaultTrackerTest : public ::testing::TestWithParam<bool> {};

TEST_P(FaultTrackerTest, TrackerKilledAndRestartedMidDownloadDownloadCompletes) {
  const bool shared_secret = GetParam();
  FaultSwarm swarm(shared_secret ? "tracker_restart_secret" : "tracker_restart", {.chunks = 128});
  std::vector<std::string> tracker_args;
  if (shared_secret) {
    std::ofstream(swarm.dir() + "/secret") << std::string(64, 'a') << "\n";
    tracker_args = {"--secret-file", swarm.dir() + "/secret"};
  }
  ASSERT_TRUE(swarm.StartTracker(tracker_args).ok());
  // Slow, so the download is in flight across the restart.
  auto slow = swarm.StartSeeder("slow", {"--fault-throttle-kib-s", "512"});
  ASSERT_TRUE(slow.ok()) << slow.status();
  auto leecher = swarm.StartLeecher("leecher");
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() / 16, absl::Seconds(30)))
      << swarm.Output("leecher");

  swarm.KillTracker();
  ASSERT_LT(swarm.Verified("leecher"), swarm.chunks()) << "finished before the kill";
  ASSERT_TRUE(swarm.StartTracker(tracker_args).ok());
  // Known to the restarted tracker only.
  auto fast = swarm.StartSeeder("fast");
  ASSERT_TRUE(fast.ok()) << fast.status();

  DownloadReport report = swarm.AwaitReport(**leecher, absl::Seconds(60));
  ASSERT_EQ(report.state, "COMPLETED") << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  EXPECT_EQ(report.chunks_fetched, swarm.chunks());
  EXPECT_EQ(report.chunks_resumed, 0u);
  EXPECT_EQ(report.bytes_received, swarm.size_bytes());
  EXPECT_EQ((*leecher)->Wait(absl::Seconds(15)), 0);
  ASSERT_EQ((*slow)->Stop(), 0);
  ASSERT_EQ((*fast)->Stop(), 0);
  const uint64_t from_fast = swarm.ChunksServed("fast");
  const uint64_t served = swarm.ChunksServed("slow") + from_fast;
  EXPECT_GT(from_fast, 0u) << "the seeder known only to the restarted tracker served nothing";
  EXPECT_GE(served, swarm.chunks());
  EXPECT_LE(served - swarm.chunks(), 16u) << "chunks sent twice";
}

INSTANTIATE_TEST_SUITE_P(SecretOrNot, FaultTrackerTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "SharedSecret" : "NoSecret"; });

}  // namespace
}  // namespace pytorrent::testing
