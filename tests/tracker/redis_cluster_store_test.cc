// The store conformance suite on a 3-master Redis Cluster of real
// redis-server processes (created with redis-cli --cluster create). Each
// test's store has its own key tag, so the suite's stores are spread over
// the three masters; the client is seeded with every node and learns each
// slot's owner from MOVED replies.

#include <gtest/gtest.h>

#include <set>

#include "tests/tracker/redis_process.h"
#include "tests/tracker/redis_store_factory.h"
#include "tests/tracker/tracker_process.h"
#include "tracker/redis_client.h"
#include "tracker/redis_swarm_store.h"

namespace pytorrent::tracker {
namespace {

using testing::RedisCluster;
using testing::TestDir;

RedisCluster* SharedCluster() {
  static std::unique_ptr<RedisCluster> cluster = [] {
    auto started = RedisCluster::Start(TestDir("redis-cluster"), /*masters=*/3);
    return started.ok() ? std::move(*started) : nullptr;
  }();
  return cluster.get();
}

RedisStoreFactory factory([]() -> absl::StatusOr<std::vector<std::string>> {
  RedisCluster* cluster = SharedCluster();
  if (cluster == nullptr) return absl::UnavailableError("the redis cluster did not start");
  return cluster->address_list();
});
INSTANTIATE_TEST_SUITE_P(RedisCluster, SwarmStoreConformanceTest, ::testing::Values(&factory));

// A client that knows one node only reaches networks (tags) whose slots
// live on each of the three masters, by following MOVED.
TEST(RedisClusterStoreTest, FollowsMovedToEveryMaster) {
  RedisCluster* cluster = SharedCluster();
  ASSERT_NE(cluster, nullptr);
  // Tags whose slots sit on three different masters: only the owner
  // answers a read of the tag's key, the others reply MOVED.
  std::set<size_t> owners;
  std::vector<std::string> tags;
  for (int i = 0; owners.size() < 3 && i < 1000; ++i) {
    const std::string tag = "net" + std::to_string(i);
    for (size_t n = 0; n < cluster->size(); ++n) {
      if (cluster->node(n).Command("EXISTS {" + tag + "}:x").ok() && owners.insert(n).second) {
        tags.push_back(tag);
      }
    }
  }
  ASSERT_EQ(tags.size(), 3u);
  auto client = RedisClient::Create({.addresses = {cluster->node(0).address()}});
  ASSERT_TRUE(client.ok());
  for (const std::string& tag : tags) {
    RedisSwarmStore store(**client, {}, tag);
    v1::AnnounceRequest a;
    a.set_peer_id(7);
    a.set_peer_key(8);
    a.set_username("alice");
    EXPECT_TRUE(store.Announce(a, absl::Now()).ok()) << tag;
    EXPECT_EQ(store.CountPeers(), 1u) << tag;
    EXPECT_TRUE(store.Leave(7, 8, absl::Now()).ok()) << tag;
  }
}

}  // namespace
}  // namespace pytorrent::tracker
