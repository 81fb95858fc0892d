// A completed download is announced and served: after the original seeder
// leaves, a second leecher fetches the whole file from the first leecher alone.
#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

TEST(ReseedIntegrationTest, SecondLeecherFetchesFromFirstLeecherAlone) {
  std::string dir = TestDir("reseed");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  std::string source = dir + "/seeder/user/shared_files/song.ogg";
  WriteRandomFile(source, 6 << 20, 11);
  std::string root = RootHexOf(source, 256);
  auto seeder = PeerProcess::Start({.home = dir + "/seeder", .args = {"--tracker", addr}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();

  auto first =
      PeerProcess::Start({.home = dir + "/first",
                          .args = {"--tracker", addr, "--download", root, "--keep-running"},
                          .wait_ready = false});
  ASSERT_TRUE(first.ok());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (LastJsonLineWith((*first)->Stdout(), "state").empty() && absl::Now() < deadline &&
         (*first)->running()) {
    usleep(20'000);  // polling interval of the deadline wait
  }
  ASSERT_EQ(LastJsonLineWith((*first)->Stdout(), "state")["state"], "COMPLETED");
  // The original seeder leaves the tracker (SIGTERM) and is gone.
  ASSERT_EQ((*seeder)->Stop(), 0);

  auto second = PeerProcess::Start({.home = dir + "/second",
                                    .args = {"--tracker", addr, "--download", root},
                                    .wait_ready = false});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ((*second)->Wait(absl::Seconds(45)), 0)
      << (*second)->Stdout() << ReadFile(dir + "/second/stderr.txt");
  EXPECT_EQ(FileSha256Hex(dir + "/second/user/downloads/song.ogg"), FileSha256Hex(source));
  ASSERT_EQ((*first)->Stop(), 0);
  auto served = LastJsonLineWith(ReadFile(dir + "/first/state/counters.json"), "chunks_served");
  EXPECT_EQ(served["chunks_served"], "24");
}

TEST(ReseedIntegrationTest, NoReseedDoesNotServeCompletedDownloads) {
  std::string dir = TestDir("no_reseed");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  std::string source = dir + "/seeder/user/shared_files/song.ogg";
  WriteRandomFile(source, 1 << 20, 12);
  std::string root = RootHexOf(source, 256);
  auto seeder = PeerProcess::Start({.home = dir + "/seeder", .args = {"--tracker", addr}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  auto first = PeerProcess::Start(
      {.home = dir + "/first",
       .args = {"--tracker", addr, "--download", root, "--keep-running", "--no-reseed"},
       .wait_ready = false});
  ASSERT_TRUE(first.ok());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (LastJsonLineWith((*first)->Stdout(), "state").empty() && absl::Now() < deadline) {
    usleep(20'000);  // polling interval of the deadline wait
  }
  ASSERT_EQ(LastJsonLineWith((*first)->Stdout(), "state")["state"], "COMPLETED");
  ASSERT_EQ((*seeder)->Stop(), 0);
  auto second = PeerProcess::Start({.home = dir + "/second",
                                    .args = {"--tracker", addr, "--download", root},
                                    .wait_ready = false});
  ASSERT_TRUE(second.ok());
  // Nobody serves the file: the second leecher is still waiting when stopped.
  EXPECT_EQ((*second)->Wait(absl::Seconds(4)), -1);
  ASSERT_EQ((*first)->Stop(), 0);
  auto served = LastJsonLineWith(ReadFile(dir + "/first/state/counters.json"), "chunks_served");
  EXPECT_EQ(served["chunks_served"], "0");
}

}  // namespace
}  // namespace pytorrent::testing
