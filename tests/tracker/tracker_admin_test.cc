// TrackerAdmin through the real tracker's gRPC Unix socket.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>

#include "peer/tracker_client.h"
#include "proto/admin.grpc.pb.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent {
namespace {

using ::pytorrent::peer::TrackerClient;
using ::pytorrent::testing::TestDir;
using ::pytorrent::testing::TrackerProcess;

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

TEST(TrackerAdminTest, StatsSwarmsPeersEvict) {
  auto tracker = TrackerProcess::Start({.dir = TestDir("admin")});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto client = TrackerClient::Create({.host = "127.0.0.1",
                                       .port = (*tracker)->port(),
                                       .initial_timeout = absl::Milliseconds(200),
                                       .max_retries = 4});
  ASSERT_TRUE(client.ok()) << client.status();
  for (uint64_t id : {1, 2}) {
    v1::AnnounceRequest a;
    a.set_peer_id(id);
    a.set_peer_key(id * 10);
    a.set_username("user" + std::to_string(id));
    a.set_chunk_endpoint("tcp://127.0.0.1:700" + std::to_string(id));
    v1::FileAvailability* f = a.add_files();
    f->set_name("shared.bin");
    f->set_size_bytes(1 << 20);
    f->set_chunk_size_bytes(1 << 18);
    f->set_root_hash(std::string(32, 'h'));
    f->set_chunks_have(id == 1 ? 4 : 2);
    ASSERT_TRUE((*client)->Announce(a).ok());
  }

  auto channel =
      grpc::CreateChannel((*tracker)->admin_target(), grpc::InsecureChannelCredentials());
  auto stub = v1::TrackerAdmin::NewStub(channel);

  v1::TrackerStats stats;
  ASSERT_TRUE(stub->GetTrackerStats(Ctx().get(), {}, &stats).ok());
  EXPECT_EQ(stats.peers(), 2u);
  EXPECT_EQ(stats.files(), 1u);
  EXPECT_EQ(stats.announces(), 2u);
  EXPECT_EQ(stats.requests(), 3u);  // 1 connect + 2 announces

  v1::ListSwarmsResponse swarms;
  ASSERT_TRUE(stub->ListSwarms(Ctx().get(), {}, &swarms).ok());
  ASSERT_EQ(swarms.swarms_size(), 1);
  EXPECT_EQ(swarms.swarms(0).seeders(), 1u);
  EXPECT_EQ(swarms.swarms(0).leechers(), 1u);

  v1::ListTrackerPeersResponse peers;
  ASSERT_TRUE(stub->ListTrackerPeers(Ctx().get(), {}, &peers).ok());
  EXPECT_EQ(peers.peers_size(), 2);

  // Finding 3 of issue 14: a token the tracker did not issue is an error,
  // never an OK empty page a client would read as the end of the list.
  v1::ListSwarmsRequest bad_swarms;
  bad_swarms.set_page_token("garbage");
  EXPECT_EQ(stub->ListSwarms(Ctx().get(), bad_swarms, &swarms).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListTrackerPeersRequest bad_peers;
  bad_peers.set_page_token("garbage");
  EXPECT_EQ(stub->ListTrackerPeers(Ctx().get(), bad_peers, &peers).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::EvictPeerRequest evict;
  evict.set_peer_id(2);
  v1::EvictPeerResponse evicted;
  ASSERT_TRUE(stub->EvictPeer(Ctx().get(), evict, &evicted).ok());
  EXPECT_EQ(stub->EvictPeer(Ctx().get(), evict, &evicted).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The evicted peer no longer owns anything: its key is not accepted.
  EXPECT_EQ((*client)->Leave(2, 20).code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(stub->GetTrackerStats(Ctx().get(), {}, &stats).ok());
  EXPECT_EQ(stats.peers(), 1u);
  EXPECT_EQ(stats.errors_by_kind().at("unknown_peer"), 1u);
  EXPECT_EQ((*tracker)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent
