// One of three seeders corrupts every chunk it serves (test-only fault
// switch). The leecher rejects each bad chunk by its SHA-256, strikes and
// bans that seeder, re-fetches from the honest ones, and the file is intact.
#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

TEST(CorruptSeederIntegrationTest, CorruptingSeederIsBannedAndFileIsCorrect) {
  std::string dir = TestDir("corrupt_seeder");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  const uint32_t kChunkKib = 64;
  const uint64_t kSize = 8 << 20;  // 128 chunks
  std::vector<std::unique_ptr<PeerProcess>> seeders;
  std::string source;
  for (int i = 0; i < 3; ++i) {
    std::string home = absl::StrCat(dir, "/s", i);
    source = home + "/user/shared_files/data.bin";
    WriteRandomFile(source, kSize, 9);
    std::vector<std::string> args = {"--tracker",        addr,
                                     "--chunk-size-kib", std::to_string(kChunkKib),
                                     "--username",       absl::StrCat("seeder", i)};
    if (i == 0) {
      args.push_back("--fault-corrupt-chunks");
    } else {
      // Honest seeders are slow enough that the liar is asked many times.
      args.insert(args.end(), {"--fault-throttle-kib-s", "4096"});
    }
    auto seeder = PeerProcess::Start({.home = home, .args = args});
    ASSERT_TRUE(seeder.ok()) << seeder.status();
    seeders.push_back(*std::move(seeder));
  }
  std::string root = RootHexOf(source, kChunkKib);
  auto leecher = PeerProcess::Start({.home = dir + "/leecher",
                                     .args = {"--tracker", addr, "--download", root},
                                     .wait_ready = false});
  ASSERT_TRUE(leecher.ok());
  ASSERT_EQ((*leecher)->Wait(absl::Seconds(50)), 0)
      << (*leecher)->Stdout() << ReadFile(dir + "/leecher/stderr.txt");
  auto result = LastJsonLineWith((*leecher)->Stdout(), "state");
  EXPECT_EQ(result["state"], "COMPLETED");
  EXPECT_EQ(result["banned_peers"], "1");
  EXPECT_GE(std::stoul(result["chunks_corrupt"]), 3u);
  EXPECT_EQ(result["chunks_fetched"], "128");
  EXPECT_EQ(FileSha256Hex(dir + "/leecher/user/downloads/data.bin"), FileSha256Hex(source));
  // The liar was asked for little more than its strikes before the ban.
  EXPECT_EQ(seeders[0]->Stop(), 0);
  auto liar = LastJsonLineWith(ReadFile(dir + "/s0/state/counters.json"), "chunks_served");
  EXPECT_LE(std::stoul(liar["chunks_served"]), 20u);
}

}  // namespace
}  // namespace pytorrent::testing
