// Real tracker processes on a real redis-server: Redis going away and coming
// back (TRY_AGAIN, health, reconnection), and two instances serving one
// network with a shared connection-id secret.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "peer/tracker_client.h"
#include "proto/admin.grpc.pb.h"
#include "proto/tracker.pb.h"
#include "tests/admin/health.grpc.pb.h"
#include "tests/tracker/redis_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::pytorrent::peer::TrackerClient;
using ::pytorrent::testing::RedisServer;
using ::pytorrent::testing::TestDir;
using ::pytorrent::testing::TrackerProcess;

constexpr absl::Duration kWait = absl::Seconds(20);

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

v1::AnnounceRequest Peer(uint64_t id, const std::string& name) {
  v1::AnnounceRequest a;
  a.set_peer_id(id);
  a.set_peer_key(id * 10);
  a.set_username(name);
  a.set_chunk_endpoint("tcp://127.0.0.1:700" + std::to_string(id));
  v1::FileAvailability* f = a.add_files();
  f->set_name("shared.bin");
  f->set_size_bytes(1 << 20);
  f->set_chunk_size_bytes(1 << 18);
  f->set_root_hash(std::string(32, 'h'));
  f->set_chunks_have(4);
  return a;
}

std::unique_ptr<TrackerClient> ClientFor(const TrackerProcess& tracker) {
  auto client = TrackerClient::Create({.host = "127.0.0.1",
                                       .port = tracker.port(),
                                       .initial_timeout = absl::Milliseconds(200),
                                       .max_retries = 3});
  return client.ok() ? std::move(*client) : nullptr;
}

HealthCheckResponse::ServingStatus HealthOf(const TrackerProcess& tracker) {
  auto channel = grpc::CreateChannel(tracker.admin_target(), grpc::InsecureChannelCredentials());
  auto health = Health::NewStub(channel);
  HealthCheckRequest request;
  HealthCheckResponse response;
  if (!health->Check(Ctx().get(), request, &response).ok()) return HealthCheckResponse::UNKNOWN;
  return response.status();
}

// Polls `health` until it is `want` or the bound passes.
bool AwaitHealth(const TrackerProcess& tracker, HealthCheckResponse::ServingStatus want) {
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline) {
    if (HealthOf(tracker) == want) return true;
    usleep(20'000);  // polling interval, not a synchronisation
  }
  return false;
}

uint64_t StoreUnavailableCount(const TrackerProcess& tracker) {
  auto channel = grpc::CreateChannel(tracker.admin_target(), grpc::InsecureChannelCredentials());
  auto stub = v1::TrackerAdmin::NewStub(channel);
  v1::TrackerStats stats;
  if (!stub->GetTrackerStats(Ctx().get(), {}, &stats).ok()) return 0;
  auto it = stats.errors_by_kind().find("store_unavailable");
  return it == stats.errors_by_kind().end() ? 0 : it->second;
}

TEST(TrackerFleetTest, RedisOutageAnswersTryAgainThenRecovers) {
  const std::string dir = TestDir("fleet-outage");
  auto redis = RedisServer::Start({.dir = dir + "/redis", .persistent = true});
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto tracker = TrackerProcess::Start(
      {.dir = dir + "/tracker",
       .args = {"--store", "redis", "--redis", (*redis)->address(), "--redis-timeout-ms", "300"}});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto client = ClientFor(**tracker);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Announce(Peer(1, "alice")).ok());
  EXPECT_TRUE(AwaitHealth(**tracker, HealthCheckResponse::SERVING));

  (*redis)->Kill();
  // The tracker stays up and answers a typed "try again".
  const absl::StatusOr<v1::AnnounceResponse> refused = client->Announce(Peer(2, "bob"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_GE(StoreUnavailableCount(**tracker), 1u);
  EXPECT_TRUE(AwaitHealth(**tracker, HealthCheckResponse::NOT_SERVING));

  ASSERT_TRUE((*redis)->Restart().ok());
  // It reconnects by itself: announces succeed again within a bound.
  absl::StatusOr<v1::AnnounceResponse> announced;
  const absl::Time deadline = absl::Now() + kWait;
  do {
    announced = client->Announce(Peer(2, "bob"));
  } while (!announced.ok() && absl::Now() < deadline);
  ASSERT_TRUE(announced.ok()) << announced.status();
  EXPECT_TRUE(AwaitHealth(**tracker, HealthCheckResponse::SERVING));
  // alice, acknowledged before the outage, was kept by Redis.
  v1::GetFilePeersRequest who;
  who.set_root_hash(std::string(32, 'h'));
  auto peers = client->GetFilePeers(who);
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(peers->file().seeders(), 2u);
  EXPECT_EQ((*tracker)->Stop(), 0);
}

// Sends `request` from `fd` to 127.0.0.1:`port` and waits (bounded) for the
// reply with its transaction id.
absl::StatusOr<v1::TrackerResponse> Exchange(int fd, uint16_t port, v1::TrackerRequest request) {
  static uint32_t txid = 1;
  request.set_transaction_id(++txid);
  const std::string bytes = request.SerializeAsString();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 10; ++attempt) {
    sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    char buf[2048];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);  // SO_RCVTIMEO bounds it
    if (n <= 0) continue;
    v1::TrackerResponse response;
    if (response.ParseFromArray(buf, static_cast<int>(n)) &&
        response.transaction_id() == request.transaction_id()) {
      return response;
    }
  }
  return absl::DeadlineExceededError("no reply");
}

TEST(TrackerFleetTest, TwoInstancesShareSecretAndSwarms) {
  const std::string dir = TestDir("fleet-two");
  auto redis = RedisServer::Start({.dir = dir + "/redis"});
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string secret = dir + "/secret";
  std::ofstream(secret) << std::string(64, 'a') << "\n";
  std::vector<std::unique_ptr<TrackerProcess>> trackers;
  for (const char* name : {"a", "b"}) {
    auto t = TrackerProcess::Start(
        {.dir = dir + "/" + name,
         .args = {"--store", "redis", "--redis", (*redis)->address(), "--secret-file", secret}});
    ASSERT_TRUE(t.ok()) << t.status();
    trackers.push_back(std::move(*t));
  }
  // One socket: connect at A, then use that connection id at B.
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  timeval timeout{.tv_sec = 0, .tv_usec = 300'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  v1::TrackerRequest connect;
  connect.mutable_connect()->set_protocol_magic(0x41727101980ULL);
  connect.mutable_connect()->set_padding(std::string(16, '\0'));
  auto connected = Exchange(fd, trackers[0]->port(), connect);
  ASSERT_TRUE(connected.ok() && connected->has_connect());
  v1::TrackerRequest announce;
  announce.set_connection_id(connected->connect().connection_id());
  *announce.mutable_announce() = Peer(1, "alice");
  auto at_b = Exchange(fd, trackers[1]->port(), announce);
  close(fd);
  ASSERT_TRUE(at_b.ok());
  ASSERT_TRUE(at_b->has_announce()) << at_b->DebugString();

  // Announced at B, listed by A; and the other way round.
  auto client_a = ClientFor(*trackers[0]);
  auto client_b = ClientFor(*trackers[1]);
  ASSERT_TRUE(client_a != nullptr && client_b != nullptr);
  v1::AnnounceRequest bob = Peer(2, "bob");
  bob.set_peers_for_root_hash(std::string(32, 'h'));
  auto reply = client_a->Announce(bob);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->peers_size(), 1);
  EXPECT_EQ(reply->peers(0).username(), "alice");
  v1::ListPeersRequest list;
  auto listed = client_b->ListPeers(list);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->peers_size(), 2);
  // A username taken at one instance is taken at the other.
  EXPECT_EQ(client_b->Announce(Peer(3, "bob")).status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace pytorrent
