// The shared folder is live: a file dropped into a running seeder's
// user/shared_files/ is hashed and announced within seconds (no restart) and
// can be downloaded; a removed file is withdrawn from the tracker.
#include <filesystem>

#include "gtest/gtest.h"
#include "peer/tracker_client.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

// Seeders of `name` the tracker lists (0 if unknown or unreachable).
uint32_t SeedersOf(peer::TrackerClient& client, const std::string& name) {
  v1::SearchFilesRequest request;
  request.set_query(name);
  absl::StatusOr<v1::SearchFilesResponse> found = client.SearchFiles(request);
  if (!found.ok()) return 0;
  for (const auto& f : found->files()) {
    if (f.name() == name) return f.seeders();
  }
  return 0;
}

TEST(SharedFolderLiveTest, DroppedFileIsAnnouncedServedAndWithdrawnWithoutRestart) {
  std::string dir = TestDir("shared_live");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  auto seeder = PeerProcess::Start({.home = dir + "/seeder", .args = {"--tracker", addr}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  auto client = peer::TrackerClient::Create({.host = "127.0.0.1",
                                             .port = (*tracker)->port(),
                                             .initial_timeout = absl::Milliseconds(200),
                                             .max_retries = 3});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(SeedersOf(**client, "late.bin"), 0u);

  // Written elsewhere, then moved in: the usual way to drop a file.
  std::string staged = dir + "/late.bin";
  WriteRandomFile(staged, 3 << 20, 8);
  std::string root = RootHexOf(staged, 256);
  std::string shared = dir + "/seeder/user/shared_files/late.bin";
  std::filesystem::rename(staged, shared);
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (SeedersOf(**client, "late.bin") == 0 && absl::Now() < deadline) {
    usleep(50'000);  // polling interval of the deadline wait
  }
  ASSERT_EQ(SeedersOf(**client, "late.bin"), 1u) << "not announced within 15 s";

  auto leecher = PeerProcess::Start({.home = dir + "/leecher",
                                     .args = {"--tracker", addr, "--download", root},
                                     .wait_ready = false});
  ASSERT_TRUE(leecher.ok());
  ASSERT_EQ((*leecher)->Wait(absl::Seconds(40)), 0) << ReadFile(dir + "/leecher/stderr.txt");
  EXPECT_EQ(FileSha256Hex(dir + "/leecher/user/downloads/late.bin"), FileSha256Hex(shared));

  std::filesystem::remove(shared);
  deadline = absl::Now() + absl::Seconds(15);
  while (SeedersOf(**client, "late.bin") != 0 && absl::Now() < deadline) {
    usleep(50'000);  // polling interval of the deadline wait
  }
  EXPECT_EQ(SeedersOf(**client, "late.bin"), 0u) << "not withdrawn within 15 s";
  EXPECT_EQ((*seeder)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent::testing
