// A peer given two tracker instances of one network (one real redis-server,
// a shared --secret-file) announces to the first; when that one is killed
// (SIGKILL by PID) the peer's next announce fails over to the second within
// its retry cycle, and the peer stays listed there past the moment its last
// announce to the first would have expired.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "peer/tracker_client.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/redis_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent {
namespace {

using ::pytorrent::peer::TrackerClient;
using ::pytorrent::testing::PeerProcess;
using ::pytorrent::testing::RedisServer;
using ::pytorrent::testing::TestDir;
using ::pytorrent::testing::TrackerProcess;

constexpr absl::Duration kWait = absl::Seconds(30);
// The trackers' interval: a registration expires 2x this after its last
// announce. The peer announces every second.
constexpr int kTrackerIntervalS = 3;
constexpr char kUsername[] = "roaming-peer";

std::unique_ptr<TrackerClient> ClientFor(const TrackerProcess& tracker) {
  auto client = TrackerClient::Create({.host = "127.0.0.1",
                                       .port = tracker.port(),
                                       .initial_timeout = absl::Milliseconds(200),
                                       .max_retries = 3});
  return client.ok() ? std::move(*client) : nullptr;
}

bool Lists(TrackerClient& client, const std::string& username) {
  absl::StatusOr<v1::ListPeersResponse> page = client.ListPeers({});
  if (!page.ok()) return false;
  for (const v1::PeerInfo& p : page->peers()) {
    if (p.username() == username) return true;
  }
  return false;
}

uint64_t Announces(TrackerClient& client) {
  absl::StatusOr<v1::GetStatsResponse> stats = client.GetStats();
  return stats.ok() ? stats->announces() : 0;
}

TEST(TrackerFailoverTest, PeerFailsOverToTheSecondInstanceWhenTheFirstIsKilled) {
  const std::string dir = TestDir("failover");
  auto redis = RedisServer::Start({.dir = dir + "/redis"});
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string secret = dir + "/secret";
  std::ofstream(secret) << std::string(64, 'c') << "\n";
  std::vector<std::unique_ptr<TrackerProcess>> trackers;
  for (const char* name : {"a", "b"}) {
    auto t = TrackerProcess::Start(
        {.dir = dir + "/" + name,
         .args = {"--store", "redis", "--redis", (*redis)->address(), "--secret-file", secret,
                  "--announce-interval-s", std::to_string(kTrackerIntervalS)}});
    ASSERT_TRUE(t.ok()) << t.status();
    trackers.push_back(std::move(*t));
  }
  auto a = ClientFor(*trackers[0]);
  auto b = ClientFor(*trackers[1]);
  ASSERT_TRUE(a != nullptr && b != nullptr);

  auto peer = PeerProcess::Start(
      {.home = dir + "/peer",
       .args = {"--tracker", "127.0.0.1:" + std::to_string(trackers[0]->port()), "--tracker",
                "127.0.0.1:" + std::to_string(trackers[1]->port()), "--username", kUsername,
                "--announce-interval-s", "1", "--log-level", "warn"}});
  ASSERT_TRUE(peer.ok()) << peer.status();

  // It announces to the first instance only; both list it (one store).
  const absl::Time deadline = absl::Now() + kWait;
  while (Announces(*a) < 2 && absl::Now() < deadline) usleep(50'000);  // poll, bounded
  ASSERT_GE(Announces(*a), 2u);
  EXPECT_EQ(Announces(*b), 0u);
  EXPECT_TRUE(Lists(*b, kUsername));

  ASSERT_EQ(kill(trackers[0]->pid(), SIGKILL), 0);
  const absl::Time killed = absl::Now();
  trackers[0]->Stop();  // reaps it

  // The next announce finds A silent and goes to B in the same call.
  while (Announces(*b) == 0 && absl::Now() < killed + kWait) usleep(50'000);  // poll, bounded
  const absl::Duration to_failover = absl::Now() - killed;
  ASSERT_GE(Announces(*b), 1u) << "the peer never announced to the second instance";
  // One announce interval, then one turn at A (0.3 + 0.6 + 1.2 s), with slack
  // for a loaded machine; far less than a whole retry ladder plus expiry.
  EXPECT_LT(to_failover, absl::Seconds(8)) << to_failover;
  ::testing::Test::RecordProperty("failover_ms", absl::ToInt64Milliseconds(to_failover));
  std::cout << "failed over to the second instance " << to_failover << " after the kill\n";

  // Still listed through B after the registration made at A would have
  // expired (2x the interval after A's last announce), so B refreshed it.
  const absl::Time past_expiry = killed + absl::Seconds(2 * kTrackerIntervalS + 1);
  int checks = 0;
  while (absl::Now() < past_expiry) {
    ASSERT_TRUE(Lists(*b, kUsername)) << "dropped " << (absl::Now() - killed) << " after the kill";
    ++checks;
    usleep(200'000);  // checks the listing throughout, not a synchronisation
  }
  EXPECT_TRUE(Lists(*b, kUsername));
  EXPECT_GT(checks, 0);
  const uint64_t b_before = Announces(*b);
  while (Announces(*b) <= b_before && absl::Now() < past_expiry + kWait) usleep(50'000);
  EXPECT_GT(Announces(*b), b_before) << "the peer stopped announcing to B";

  EXPECT_EQ((*peer)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent
