// Issue 3's walking skeleton, end to end with real processes: a tracker, a
// seeder sharing a 20 MiB random file, and a leecher that downloads it by
// root hash and by name; SHA-256 compared.
#include <filesystem>

#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

TEST(DownloadIntegrationTest, TwentyMiBRandomFileArrivesIntact) {
  std::string dir = TestDir("download20");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  std::string source = dir + "/seeder/user/shared_files/random.bin";
  WriteRandomFile(source, 20 << 20, 20);
  std::string root = RootHexOf(source, 256);
  ASSERT_FALSE(root.empty());

  auto seeder = PeerProcess::Start(
      {.home = dir + "/seeder", .args = {"--tracker", addr, "--username", "seeder"}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();

  auto leecher = PeerProcess::Start({.home = dir + "/leecher",
                                     .args = {"--tracker", addr, "--download", root},
                                     .wait_ready = false});
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  ASSERT_EQ((*leecher)->Wait(absl::Seconds(60)), 0)
      << (*leecher)->Stdout() << ReadFile(dir + "/leecher/stderr.txt");
  auto result = LastJsonLineWith((*leecher)->Stdout(), "state");
  EXPECT_EQ(result["state"], "COMPLETED");
  EXPECT_EQ(result["chunks_fetched"], "80");
  std::string want = FileSha256Hex(source);
  EXPECT_EQ(result["sha256"], want);
  EXPECT_EQ(FileSha256Hex(dir + "/leecher/user/downloads/random.bin"), want);
  EXPECT_FALSE(ReadFile(dir + "/leecher/logs/download.log").empty());
  // Nothing left behind in state/ but the manifest cache and counters.
  EXPECT_FALSE(std::filesystem::exists(dir + "/leecher/state/" + root + ".part"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/leecher/state/" + root + ".resume"));

  // By name, into another home.
  auto by_name = PeerProcess::Start({.home = dir + "/leecher2",
                                     .args = {"--tracker", addr, "--download", "random.bin"},
                                     .wait_ready = false});
  ASSERT_TRUE(by_name.ok());
  ASSERT_EQ((*by_name)->Wait(absl::Seconds(60)), 0) << ReadFile(dir + "/leecher2/stderr.txt");
  EXPECT_EQ(FileSha256Hex(dir + "/leecher2/user/downloads/random.bin"), want);

  // A second download of the same file into the same home refuses to overwrite.
  auto again = PeerProcess::Start({.home = dir + "/leecher",
                                   .args = {"--tracker", addr, "--download", root},
                                   .wait_ready = false});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Wait(absl::Seconds(60)), 1);
  EXPECT_NE(LastJsonLineWith((*again)->Stdout(), "state")["error"].find("exists"),
            std::string::npos);

  EXPECT_EQ((*seeder)->Stop(), 0);
  EXPECT_EQ((*tracker)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent::testing
