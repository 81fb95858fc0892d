// Three seeders serve one file in parallel; one is killed (SIGKILL)
// mid-transfer; the leecher times out its requests there, moves them to the
// other two and still completes with the right SHA-256.
#include <signal.h>

#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

TEST(MultiSeederIntegrationTest, SeederKilledMidTransferDownloadStillCompletes) {
  std::string dir = TestDir("multi_seeder");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  const uint32_t kChunkKib = 64;
  const uint32_t kChunks = 384;  // 24 MiB
  std::string first = dir + "/s0/user/shared_files/movie.bin";
  WriteRandomFile(first, uint64_t{kChunks} * kChunkKib * 1024, 3);
  std::string root = RootHexOf(first, kChunkKib);
  std::vector<std::unique_ptr<PeerProcess>> seeders;
  for (int i = 0; i < 3; ++i) {
    std::string home = absl::StrCat(dir, "/s", i);
    if (i > 0)
      WriteRandomFile(home + "/user/shared_files/movie.bin", kChunks * kChunkKib * 1024, 3);
    auto seeder = PeerProcess::Start(
        {.home = home,
         .args = {"--tracker", addr, "--chunk-size-kib", std::to_string(kChunkKib),
                  "--fault-throttle-kib-s", "2048", "--username", absl::StrCat("seeder", i)}});
    ASSERT_TRUE(seeder.ok()) << seeder.status();
    seeders.push_back(*std::move(seeder));
  }
  auto leecher = PeerProcess::Start(
      {.home = dir + "/leecher",
       .args = {"--tracker", addr, "--download", root, "--request-timeout-ms", "1500"},
       .wait_ready = false});
  ASSERT_TRUE(leecher.ok());
  // Kill seeder 0 once a sixth of the file is verified.
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ResumedChunks(dir + "/leecher", root, kChunks) < kChunks / 6 && absl::Now() < deadline &&
         (*leecher)->running()) {
    usleep(20'000);  // polling interval of the deadline wait
  }
  uint32_t at_kill = ResumedChunks(dir + "/leecher", root, kChunks);
  ASSERT_GE(at_kill, kChunks / 6) << "leecher made no progress";
  ASSERT_LT(at_kill, kChunks) << "download finished before the kill";
  seeders[0]->Kill9();

  ASSERT_EQ((*leecher)->Wait(absl::Seconds(50)), 0)
      << (*leecher)->Stdout() << ReadFile(dir + "/leecher/stderr.txt");
  auto result = LastJsonLineWith((*leecher)->Stdout(), "state");
  EXPECT_EQ(result["state"], "COMPLETED");
  EXPECT_EQ(result["banned_peers"], "0");
  EXPECT_EQ(FileSha256Hex(dir + "/leecher/user/downloads/movie.bin"), FileSha256Hex(first));
  // The survivors served the rest.
  EXPECT_EQ(seeders[1]->Stop(), 0);
  EXPECT_EQ(seeders[2]->Stop(), 0);
  auto c1 = LastJsonLineWith(ReadFile(dir + "/s1/state/counters.json"), "chunks_served");
  auto c2 = LastJsonLineWith(ReadFile(dir + "/s2/state/counters.json"), "chunks_served");
  EXPECT_GT(std::stoul(c1["chunks_served"]), 0u);
  EXPECT_GT(std::stoul(c2["chunks_served"]), 0u);
}

}  // namespace
}  // namespace pytorrent::testing
