// A leecher serves the chunks it has verified while it is still downloading:
// a second leecher that joins mid-transfer gets part of the file from it.
#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

TEST(PartialSeedIntegrationTest, LeecherServesVerifiedChunksWhileDownloading) {
  std::string dir = TestDir("partial_seed");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  const uint32_t kChunkKib = 64;
  const uint32_t kChunks = 192;  // 12 MiB
  std::string source = dir + "/seeder/user/shared_files/film.mkv";
  WriteRandomFile(source, uint64_t{kChunks} * kChunkKib * 1024, 21);
  std::string root = RootHexOf(source, kChunkKib);
  // A slow seeder, so both leechers are mid-transfer together.
  auto seeder =
      PeerProcess::Start({.home = dir + "/seeder",
                          .args = {"--tracker", addr, "--chunk-size-kib", std::to_string(kChunkKib),
                                   "--fault-throttle-kib-s", "1536"}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  std::vector<std::string> args = {
      "--tracker", addr, "--download", root, "--keep-running", "--announce-interval-s", "1"};
  auto first = PeerProcess::Start({.home = dir + "/first", .args = args, .wait_ready = false});
  ASSERT_TRUE(first.ok());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ResumedChunks(dir + "/first", root, kChunks) < kChunks / 3 && absl::Now() < deadline) {
    usleep(20'000);  // polling interval of the deadline wait
  }
  uint32_t first_has = ResumedChunks(dir + "/first", root, kChunks);
  ASSERT_GE(first_has, kChunks / 3);
  ASSERT_LT(first_has, kChunks);
  auto second = PeerProcess::Start({.home = dir + "/second", .args = args, .wait_ready = false});
  ASSERT_TRUE(second.ok());
  deadline = absl::Now() + absl::Seconds(45);
  while (absl::Now() < deadline && (LastJsonLineWith((*first)->Stdout(), "state").empty() ||
                                    LastJsonLineWith((*second)->Stdout(), "state").empty())) {
    usleep(20'000);  // polling interval of the deadline wait
  }
  EXPECT_EQ(LastJsonLineWith((*first)->Stdout(), "state")["state"], "COMPLETED");
  EXPECT_EQ(LastJsonLineWith((*second)->Stdout(), "state")["state"], "COMPLETED");
  std::string want = FileSha256Hex(source);
  EXPECT_EQ(FileSha256Hex(dir + "/first/user/downloads/film.mkv"), want);
  EXPECT_EQ(FileSha256Hex(dir + "/second/user/downloads/film.mkv"), want);
  ASSERT_EQ((*first)->Stop(), 0);
  ASSERT_EQ((*second)->Stop(), 0);
  ASSERT_EQ((*seeder)->Stop(), 0);
  auto served = LastJsonLineWith(ReadFile(dir + "/first/state/counters.json"), "chunks_served");
  EXPECT_GT(std::stoul(served["chunks_served"]), 0u) << "first leecher served nothing";
}

}  // namespace
}  // namespace pytorrent::testing
