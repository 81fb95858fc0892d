// The admin plane answers at once while slow admin calls run: a real peer
// whose tracker never answers gets more by-name StartDownload calls (each
// a tracker search that takes all its retries) than gRPC has handler
// threads, plus a ShareFile of a large file; meanwhile GetStatus and the
// health check must each answer within 500 ms (measured, every probe).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/admin.grpc.pb.h"
#include "tests/admin/health.grpc.pb.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

// More than the admin server's 32 handler threads.
constexpr int kSlowCalls = 40;
constexpr absl::Duration kMaxLatency = absl::Milliseconds(500);

// A UDP "tracker" that is bound and never answers; closed with the test.
class SilentTracker {
 public:
  SilentTracker() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~SilentTracker() {
    if (fd_ >= 0) ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST(AdminLatencyTest, StatusAndHealthAnswerAtOnceWhileSlowCallsRun) {
  std::string dir = TestDir("admin_latency");
  SilentTracker tracker;
  ASSERT_NE(tracker.port(), 0);
  std::string big = dir + "/big.bin";
  WriteRandomFile(big, 128ull << 20, 7);
  auto node = PeerProcess::Start(
      {.home = dir + "/node",
       .args = {"--tracker", absl::StrCat("127.0.0.1:", tracker.port()), "--log-level", "warn"}});
  ASSERT_TRUE(node.ok()) << node.status();
  auto channel = grpc::CreateChannel((*node)->admin_target(), grpc::InsecureChannelCredentials());
  auto admin = v1::PeerAdmin::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);

  // The slow calls, all at once, without waiting for them.
  struct Pending {
    grpc::ClientContext context;
    v1::StartDownloadRequest start;
    v1::StartDownloadResponse started;
    v1::ShareFileRequest share;
    v1::ShareFileResponse shared;
  };
  std::vector<std::unique_ptr<Pending>> pending;
  std::atomic<int> answered{0};
  for (int i = 0; i <= kSlowCalls; ++i) {
    auto p = std::make_unique<Pending>();
    p->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
    if (i == 0) {
      p->share.set_path(big);
      admin->async()->ShareFile(&p->context, &p->share, &p->shared,
                                [&answered](grpc::Status) { ++answered; });
    } else {
      p->start.set_name(absl::StrCat("nowhere-", i, ".bin"));
      admin->async()->StartDownload(&p->context, &p->start, &p->started,
                                    [&answered](grpc::Status) { ++answered; });
    }
    pending.push_back(std::move(p));
  }

  // Whatever happens below, every pending call is cancelled and has ended
  // before the objects its callback touches go away.
  absl::Cleanup settle = [&] {
    for (auto& p : pending) p->context.TryCancel();
    for (absl::Time end = absl::Now() + absl::Seconds(60);
         answered.load() <= kSlowCalls && absl::Now() < end;) {
      usleep(10'000);  // polling interval of the bounded wait
    }
    ASSERT_EQ(answered.load(), kSlowCalls + 1) << "slow calls still pending";
  };

  // Probe for 3 s: well inside the first search's retries (about 4.5 s), so
  // every by-name call is still waiting on the silent tracker throughout.
  absl::Duration worst_status, worst_health;
  int probes = 0;
  for (absl::Time end = absl::Now() + absl::Seconds(3); absl::Now() < end; ++probes) {
    grpc::ClientContext status_context;
    status_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::PeerStatus status;
    absl::Time sent = absl::Now();
    grpc::Status answer = admin->GetStatus(&status_context, {}, &status);
    worst_status = std::max(worst_status, absl::Now() - sent);
    EXPECT_TRUE(answer.ok()) << answer.error_code() << " " << answer.error_message();

    grpc::ClientContext health_context;
    health_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::health::v1::HealthCheckResponse serving;
    sent = absl::Now();
    answer = health->Check(&health_context, {}, &serving);
    worst_health = std::max(worst_health, absl::Now() - sent);
    EXPECT_TRUE(answer.ok()) << answer.error_code() << " " << answer.error_message();
    EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    if (!answer.ok()) break;
    usleep(100'000);  // probe cadence, not synchronisation
  }
  EXPECT_GE(probes, 5);
  EXPECT_LT(worst_status, kMaxLatency) << "GetStatus took " << worst_status;
  EXPECT_LT(worst_health, kMaxLatency) << "health took " << worst_health;
  std::cout << "worst GetStatus " << worst_status << ", worst health " << worst_health << " over "
            << probes << " probes\n";

  // The node stops cleanly with calls still queued (they end UNAVAILABLE).
  EXPECT_EQ((*node)->Stop(absl::Seconds(60)), 0);
}

}  // namespace
}  // namespace pytorrent::testing
