// Hostile requesters on a real seeder's chunk port: slow readers (valid
// ChunkRequests, never read) stay within the serving budget and leave room
// for a legitimate download; a connection stuck halfway through a frame is
// closed by the seeder.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/peer_process.h"
#include "tests/integration/slow_reader_attack.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // shadow memory and quarantine inflate RSS
#else
constexpr bool kSanitized = false;
#endif

TEST(SlowReaderIntegrationTest, SlowReadersStayInTheBudgetAndADownloadStillCompletes) {
  const uint32_t kBudgetMib = 32;
  auto report = RunSlowReaderAttack({.dir = TestDir("slow_readers"),
                                     .file_bytes = 16ull << 20,
                                     .attackers = 16,
                                     .requests_per_attacker = 200,
                                     .budget_mib = kBudgetMib});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->undisturbed_ok);
  EXPECT_TRUE(report->attacked_ok);
  // Every attacker completes the handshake and sends all its requests (the
  // seeder drops stalled ones only after 10 s without reading).
  EXPECT_EQ(report->attackers_connected, 16) << report->attacker_error;
  // 16 x 200 requests of 256 KiB (800 MiB) cannot all be held: most are refused.
  EXPECT_GT(report->requests_throttled, 0u);
  EXPECT_LE(report->serving_peak_bytes, uint64_t{kBudgetMib} << 20);
  // An attacker is served its initial share (1 MiB: 4 chunks) and no more:
  // what sits unacknowledged in the seeder's send queue still counts
  // against it (counting it drained once in the kernel let each attacker
  // earn a send buffer's worth more, ~14 chunks each). The two downloads
  // take 64 chunks each; a few more for requests retried after a timeout.
  EXPECT_LE(report->chunks_served, 2u * 64 + 16u * 4 + 8) << "attackers earned beyond their share";
  if (!kSanitized) {
    EXPECT_LE(report->seeder_peak_rss_bytes, (uint64_t{kBudgetMib} + 64) << 20);
  }
}

TEST(SlowReaderIntegrationTest, AConnectionStuckHalfwayThroughAFrameIsClosed) {
  const std::string dir = TestDir("half_frame");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto seeder =
      PeerProcess::Start({.home = dir + "/seeder",
                          .args = {"--tracker", absl::StrCat("127.0.0.1:", (*tracker)->port())}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  std::string endpoint = ReadFile(dir + "/seeder/state/chunk_endpoint");
  endpoint.erase(endpoint.find_last_not_of("\n") + 1);
  auto client = RawZmtpClient::Connect(endpoint, 0);
  ASSERT_TRUE(client.ok()) << client.status();
  // A frame header announcing 100 bytes, then 10 of them, then nothing.
  ASSERT_TRUE((*client)->SendRaw(std::string("\x00\x64", 2) + std::string(10, 'x')).ok());
  // Heartbeat every 5 s, closed 20 s after the last sign of life.
  EXPECT_TRUE((*client)->WaitClosedByPeer(absl::Seconds(60)));
}

}  // namespace
}  // namespace pytorrent::testing
