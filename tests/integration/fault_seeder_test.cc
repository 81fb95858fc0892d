// Seeders that fail under a download, with real processes: every seeder
// killed and one started again, a seeder hung (SIGSTOP) and resumed, twenty
// leechers at once from one seeder, and the shared file rewritten in place
// under a seeder. Each download ends with the right SHA-256, and what the
// seeders sent beyond one copy of the file stays within a few chunks.
#include <signal.h>

#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/fault_swarm.h"

namespace pytorrent::testing {
namespace {

// Chunks a seeder may send twice around a fault: the requests in flight to
// it (a window of 8) plus endgame twins.
constexpr uint64_t kFewChunks = 24;

TEST(FaultSeederTest, EverySeederGoneThenOneBackDownloadCompletes) {
  FaultSwarm swarm("all_seeders_gone", {.chunks = 128, .seed = 2});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto a = swarm.StartSeeder("a", {"--fault-throttle-kib-s", "1024"});
  auto b = swarm.StartSeeder("b", {"--fault-throttle-kib-s", "1024"});
  ASSERT_TRUE(a.ok() && b.ok());
  auto leecher = swarm.StartLeecher("leecher", {"--request-timeout-ms", "1500"});
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() / 4, absl::Seconds(30)))
      << swarm.Output("leecher");
  (*a)->Kill9();
  (*b)->Kill9();
  const uint32_t at_kill = swarm.Verified("leecher");
  ASSERT_LT(at_kill, swarm.chunks()) << "finished before the kill";

  // One comes back (same home, so same identity; a new port).
  auto again = swarm.StartSeeder("a");
  ASSERT_TRUE(again.ok()) << again.status();
  DownloadReport report = swarm.AwaitReport(**leecher, absl::Seconds(60));
  ASSERT_EQ(report.state, "COMPLETED") << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  EXPECT_EQ(report.chunks_fetched, swarm.chunks());
  EXPECT_EQ(report.chunks_resumed, 0u);
  ASSERT_EQ((*again)->Stop(), 0);
  // The returning seeder sent what was missing, not what the leecher held
  // (`at_kill` lags the chunks held by one resume save and those in flight).
  const uint64_t served = swarm.ChunksServed("a");
  EXPECT_GT(served, 0u);
  EXPECT_LE(served + at_kill, swarm.chunks() + kFewChunks);
}

// How a hung seeder's hang ends, mid-download: SIGCONT or SIGKILL.
class HungSeederTest : public ::testing::TestWithParam<int> {};

TEST_P(HungSeederTest, HungSeederDownloadCompletesFromTheOther) {
  const bool woken = GetParam() == SIGCONT;
  FaultSwarm swarm(woken ? "hung_seeder_woken" : "hung_seeder_killed", {.chunks = 128, .seed = 3});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto hung = swarm.StartSeeder("hung", {"--fault-throttle-kib-s", "1024"});
  auto steady = swarm.StartSeeder("steady", {"--fault-throttle-kib-s", "1024"});
  ASSERT_TRUE(hung.ok() && steady.ok());
  auto leecher = swarm.StartLeecher("leecher", {"--request-timeout-ms", "1500"});
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() / 4, absl::Seconds(30)))
      << swarm.Output("leecher");
  ASSERT_EQ(::kill((*hung)->pid(), SIGSTOP), 0);
  // It stays hung while the other serves half the file, then wakes up with
  // stale requests (or dies) mid-download.
  ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() * 3 / 4, absl::Seconds(30)))
      << swarm.Output("leecher");
  if (woken) {
    ASSERT_EQ(::kill((*hung)->pid(), SIGCONT), 0);
  } else {
    (*hung)->Kill9();
  }

  DownloadReport report = swarm.AwaitReport(**leecher, absl::Seconds(60));
  ASSERT_EQ(report.state, "COMPLETED") << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  EXPECT_EQ(report.chunks_fetched, swarm.chunks());
  ASSERT_EQ((*steady)->Stop(), 0);
  if (woken) {
    ASSERT_EQ((*hung)->Stop(), 0) << "the hung seeder did not survive its hang";
    const uint64_t served = swarm.ChunksServed("hung") + swarm.ChunksServed("steady");
    EXPECT_GE(served, swarm.chunks());
    EXPECT_LE(served - swarm.chunks(), kFewChunks);
  } else {
    // It had sent at least the requests it answered before the hang.
    EXPECT_LE(swarm.ChunksServed("steady"), swarm.chunks() + kFewChunks);
    EXPECT_GE(swarm.ChunksServed("steady"), swarm.chunks() / 2);
  }
}

INSTANTIATE_TEST_SUITE_P(WokenOrKilled, HungSeederTest, ::testing::Values(SIGCONT, SIGKILL),
                         [](const auto& info) {
                           return std::string(info.param == SIGCONT ? "Woken" : "Killed");
                         });

TEST(FaultSeederTest, TwentyLeechersAtOnceFromOneSeeder) {
  constexpr int kLeechers = 20;
  FaultSwarm swarm("twenty_leechers", {.chunks = 64, .seed = 4});  // 4 MiB
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto seeder = swarm.StartSeeder("seeder");
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  std::vector<std::unique_ptr<PeerProcess>> leechers;
  for (int i = 0; i < kLeechers; ++i) {
    auto leecher = swarm.StartLeecher(absl::StrCat("leecher", i));
    ASSERT_TRUE(leecher.ok()) << leecher.status();
    leechers.push_back(*std::move(leecher));
  }
  uint64_t duplicates = 0;
  for (int i = 0; i < kLeechers; ++i) {
    const std::string name = absl::StrCat("leecher", i);
    DownloadReport report = swarm.AwaitReport(*leechers[i], absl::Seconds(90));
    ASSERT_EQ(report.state, "COMPLETED") << name << ": " << swarm.Output(name);
    EXPECT_TRUE(swarm.IsIntact(name)) << name;
    EXPECT_EQ(report.chunks_fetched, swarm.chunks()) << name;
    duplicates += report.chunks_duplicate;
  }
  for (auto& leecher : leechers) EXPECT_EQ(leecher->Wait(absl::Seconds(15)), 0);
  ASSERT_EQ((*seeder)->Stop(), 0);
  EXPECT_GE(swarm.ChunksServed("seeder"), swarm.chunks());
  // Twins of the endgame only, a few per leecher at most.
  EXPECT_LE(duplicates, kLeechers * kFewChunks);
  ::testing::Test::RecordProperty("duplicates", static_cast<int>(duplicates));
}

TEST(FaultSeederTest, SharedFileRewrittenUnderASeederNeverGivesAWrongFile) {
  FaultSwarm swarm("rewritten_under_seeder", {.chunks = 128, .seed = 5});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto changing = swarm.StartSeeder("changing", {"--fault-throttle-kib-s", "1024"});
  auto steady = swarm.StartSeeder("steady", {"--fault-throttle-kib-s", "1024"});
  ASSERT_TRUE(changing.ok() && steady.ok());
  auto leecher = swarm.StartLeecher("leecher", {"--request-timeout-ms", "1500"});
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() / 4, absl::Seconds(30)))
      << swarm.Output("leecher");
  {
    // In place (same inode, same size): the seeder's open descriptor reads
    // the new bytes at once.
    std::fstream file(swarm.Home("changing") + "/user/shared_files/data.bin",
                      std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(file.is_open());
    std::mt19937_64 rng(99);
    std::vector<uint64_t> block(8192);
    for (uint64_t done = 0; done < swarm.size_bytes(); done += block.size() * 8) {
      for (auto& word : block) word = rng();
      file.write(reinterpret_cast<const char*>(block.data()),
                 static_cast<std::streamsize>(block.size() * 8));
    }
  }
  DownloadReport report = swarm.AwaitReport(**leecher, absl::Seconds(60));
  ASSERT_EQ(report.state, "COMPLETED") << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  EXPECT_EQ(report.chunks_fetched, swarm.chunks());
  EXPECT_EQ((*changing)->Stop(), 0);
  EXPECT_EQ((*steady)->Stop(), 0);
  ::testing::Test::RecordProperty("chunks_corrupt", static_cast<int>(report.chunks_corrupt));
}

}  // namespace
}  // namespace pytorrent::testing
