// kill -9 of a leecher at about half way, then a restart with the same home:
// the download resumes from its resume state (plus a re-hash of chunks
// written after the last save) and fetches again fewer than 5% of the chunks.
#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

TEST(ResumeIntegrationTest, KilledLeecherResumesAndRefetchesUnderFivePercent) {
  std::string dir = TestDir("resume");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  const uint32_t kChunkKib = 64;
  const uint32_t kChunks = 256;  // 16 MiB
  std::string source = dir + "/seeder/user/shared_files/disk.img";
  WriteRandomFile(source, uint64_t{kChunks} * kChunkKib * 1024, 5);
  std::string root = RootHexOf(source, kChunkKib);
  auto seeder =
      PeerProcess::Start({.home = dir + "/seeder",
                          .args = {"--tracker", addr, "--chunk-size-kib", std::to_string(kChunkKib),
                                   "--fault-throttle-kib-s", "2048"}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  std::vector<std::string> leech_args = {"--tracker", addr, "--download", root};

  auto first =
      PeerProcess::Start({.home = dir + "/leecher", .args = leech_args, .wait_ready = false});
  ASSERT_TRUE(first.ok());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ResumedChunks(dir + "/leecher", root, kChunks) < kChunks / 2 && absl::Now() < deadline &&
         (*first)->running()) {
    usleep(20'000);  // polling interval of the deadline wait
  }
  (*first)->Kill9();
  uint32_t persisted = ResumedChunks(dir + "/leecher", root, kChunks);
  ASSERT_GE(persisted, kChunks / 2);
  ASSERT_LT(persisted, kChunks) << "finished before the kill";

  auto second =
      PeerProcess::Start({.home = dir + "/leecher", .args = leech_args, .wait_ready = false});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ((*second)->Wait(absl::Seconds(40)), 0)
      << (*second)->Stdout() << ReadFile(dir + "/leecher/stderr.txt");
  auto result = LastJsonLineWith((*second)->Stdout(), "state");
  EXPECT_EQ(result["state"], "COMPLETED");
  uint32_t resumed = std::stoul(result["chunks_resumed"]);
  uint32_t fetched = std::stoul(result["chunks_fetched"]);
  EXPECT_GE(resumed, persisted);
  EXPECT_EQ(resumed + fetched, kChunks);
  EXPECT_EQ(FileSha256Hex(dir + "/leecher/user/downloads/disk.img"), FileSha256Hex(source));

  // Every chunk the seeder ever sent beyond one copy was fetched twice.
  ASSERT_EQ((*seeder)->Stop(), 0);
  auto served = LastJsonLineWith(ReadFile(dir + "/seeder/state/counters.json"), "chunks_served");
  uint32_t total = std::stoul(served["chunks_served"]);
  EXPECT_GE(total, kChunks);
  EXPECT_LT(total - kChunks, kChunks * 5 / 100) << "re-downloaded " << total - kChunks;
}

}  // namespace
}  // namespace pytorrent::testing
