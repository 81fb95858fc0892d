// The store conformance suite on one real redis-server, and what only a
// shared store has: several instances racing, and surviving an outage.

#include "tracker/redis_swarm_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/tracker/redis_process.h"
#include "tests/tracker/redis_store_factory.h"
#include "tests/tracker/tracker_process.h"
#include "tracker/redis_client.h"

namespace pytorrent::tracker {
namespace {

using testing::RedisServer;
using testing::TestDir;

RedisStoreFactory factory([]() -> absl::StatusOr<std::vector<std::string>> {
  static std::unique_ptr<RedisServer> server;
  auto started = RedisServer::Start({.dir = TestDir("redis-shared")});
  if (!started.ok()) return started.status();
  server = std::move(*started);
  return std::vector<std::string>{server->address()};
});
INSTANTIATE_TEST_SUITE_P(Redis, SwarmStoreConformanceTest, ::testing::Values(&factory));

v1::AnnounceRequest Peer(uint64_t id, const std::string& name) {
  v1::AnnounceRequest a;
  a.set_peer_id(id);
  a.set_peer_key(id * 1000 + 7);
  a.set_username(name);
  a.set_chunk_endpoint("tcp://127.0.0.1:" + std::to_string(7000 + id));
  v1::FileAvailability* f = a.add_files();
  f->set_name("shared.bin");
  f->set_size_bytes(4 * 256 * 1024);
  f->set_chunk_size_bytes(256 * 1024);
  f->set_root_hash(std::string(32, 'h'));
  f->set_chunks_have(4);
  return a;
}

// Two instances (own clients, same network tag) race for one username from
// several threads each: exactly one peer gets it, every other is refused.
TEST(RedisSwarmStoreTest, TwoInstancesRacingForAUsernameOneWins) {
  auto addresses = factory.Addresses();
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  std::vector<std::unique_ptr<RedisClient>> clients;
  std::vector<std::unique_ptr<RedisSwarmStore>> stores;
  for (int i = 0; i < 2; ++i) {
    auto client = RedisClient::Create({.addresses = *addresses});
    ASSERT_TRUE(client.ok());
    clients.push_back(std::move(*client));
    stores.push_back(std::make_unique<RedisSwarmStore>(*clients.back(), RegistryLimits{}, "race"));
  }
  for (int round = 0; round < 20; ++round) {
    const std::string name = "contested" + std::to_string(round);
    std::atomic<int> won{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        const absl::Status s =
            stores[t % 2]->Announce(Peer(1000 * (round + 1) + t, name), absl::Now());
        if (s.ok()) {
          ++won;
        } else if (s.code() == absl::StatusCode::kAlreadyExists) {
          ++refused;
        } else {
          ++other;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(won.load(), 1) << name;
    EXPECT_EQ(refused.load(), 7) << name;
    EXPECT_EQ(other.load(), 0) << name;
  }
}

// A peer announced through one instance is listed by the other.
TEST(RedisSwarmStoreTest, AnnounceAtOneInstanceIsSeenByAnother) {
  auto addresses = factory.Addresses();
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  auto client_a = RedisClient::Create({.addresses = *addresses});
  auto client_b = RedisClient::Create({.addresses = *addresses});
  ASSERT_TRUE(client_a.ok() && client_b.ok());
  RedisSwarmStore a(**client_a, {}, "visible");
  RedisSwarmStore b(**client_b, {}, "visible");
  ASSERT_TRUE(a.Announce(Peer(1, "alice"), absl::Now()).ok());
  v1::GetFilePeersResponse out;
  ASSERT_TRUE(b.GetFilePeers(std::string(32, 'h'), 0, 0, 1160, absl::Now(), &out).ok());
  ASSERT_EQ(out.peers_size(), 1);
  EXPECT_EQ(out.peers(0).username(), "alice");
  // Ownership holds across instances too.
  EXPECT_EQ(b.Leave(1, 42, absl::Now()).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(b.Leave(1, 1007, absl::Now()).ok());
  EXPECT_EQ(a.Leave(1, 1007, absl::Now()).code(), absl::StatusCode::kNotFound);
}

// Redis killed: calls fail with UNAVAILABLE (changing nothing), serving()
// turns false; Redis back (same port, its append-only file): the store
// reconnects by itself and what Redis acknowledged is still there.
TEST(RedisSwarmStoreTest, SurvivesRedisRestartAndKeepsWhatRedisKept) {
  auto server = RedisServer::Start({.dir = TestDir("redis-outage"), .persistent = true});
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = RedisClient::Create({.addresses = {(*server)->address()},
                                     .min_backoff = absl::Milliseconds(20),
                                     .max_backoff = absl::Milliseconds(200)});
  ASSERT_TRUE(client.ok());
  RedisSwarmStore store(**client, {}, "outage");
  ASSERT_TRUE(store.Announce(Peer(1, "alice"), absl::Now()).ok());
  EXPECT_TRUE(store.serving());

  (*server)->Kill();
  EXPECT_EQ(store.Announce(Peer(2, "bob"), absl::Now()).code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store.serving());
  EXPECT_EQ(store.Rename(1, 1007, "carol", absl::Now()).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.ExpireIdle(absl::Now()), -1);
  EXPECT_EQ((*client)->outages(), 1u);

  ASSERT_TRUE((*server)->Restart().ok());
  // Reconnects by itself within a bounded time (the backoff is short).
  absl::Status s;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    s = store.Announce(Peer(2, "bob"), absl::Now());
  } while (!s.ok() && absl::Now() < deadline);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(store.serving());
  EXPECT_EQ((*client)->outages(), 1u);
  // alice, acknowledged before the outage, survived it.
  v1::GetFilePeersResponse out;
  ASSERT_TRUE(store.GetFilePeers(std::string(32, 'h'), 0, 0, 1160, absl::Now(), &out).ok());
  EXPECT_EQ(out.file().seeders(), 2u);
  EXPECT_EQ(store.CountPeers(), 2u);
}

// Every key a peer's announces made is gone once the last peer leaves or
// expires: only the holdings counter (0) is left of the network.
TEST(RedisSwarmStoreTest, NothingIsLeftBehindWhenPeersGo) {
  auto server = RedisServer::Start({.dir = TestDir("redis-clean")});
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = RedisClient::Create({.addresses = {(*server)->address()}});
  ASSERT_TRUE(client.ok());
  RedisSwarmStore store(**client, {.announce_interval = absl::Seconds(10)}, "clean");
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  for (uint64_t id = 1; id <= 3; ++id) {
    v1::AnnounceRequest a = Peer(id, "user" + std::to_string(id));
    a.set_peers_for_root_hash(std::string(32, 'h'));
    ASSERT_TRUE(store.Announce(a, now).ok());
  }
  ASSERT_TRUE(store.Rename(1, 1007, "renamed", now).ok());
  ASSERT_TRUE(store.Leave(1, 1007, now).ok());
  ASSERT_TRUE(store.Evict(2, now).ok());
  EXPECT_EQ(store.ExpireIdle(now + absl::Seconds(21)), 1);
  absl::StatusOr<std::string> keys = (*server)->Command("KEYS *");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, "{clean}:holdings");
  EXPECT_EQ(*(*server)->Command("GET {clean}:holdings"), "0");
}

TEST(RedisClientTest, KeySlotsFollowRedisCluster) {
  EXPECT_EQ(RedisKeySlot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(RedisKeySlot("foo"), 12182);
  EXPECT_EQ(RedisKeySlot("{user1000}.following"), RedisKeySlot("{user1000}.followers"));
  EXPECT_EQ(RedisKeySlot("{pt}:p:xyz"), RedisKeySlot("pt"));
  EXPECT_EQ(RedisKeySlot("{}x"), RedisKeySlot("{}x"));  // empty tag: the whole key
  EXPECT_NE(RedisKeySlot("{}a"), RedisKeySlot("a"));
}

TEST(RedisClientTest, BadAddressesAreInvalid) {
  EXPECT_EQ(RedisClient::Create({.addresses = {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RedisClient::Create({.addresses = {"nohost"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RedisClient::Create({.addresses = {"h:99999"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RedisClient::Create({.addresses = {"[::1]:6379"}}).ok());
}

}  // namespace
}  // namespace pytorrent::tracker
