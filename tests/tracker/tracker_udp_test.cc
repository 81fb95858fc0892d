// Round trips through the real tracker binary over UDP on loopback.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "peer/tracker_client.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent {
namespace {

using ::pytorrent::peer::TrackerClient;
using ::pytorrent::testing::TestDir;
using ::pytorrent::testing::TrackerProcess;
using ::testing::UnorderedElementsAre;

std::string Hash(char fill) { return std::string(32, fill); }

v1::FileAvailability File(const std::string& name, char hash_fill, uint32_t chunks_have) {
  v1::FileAvailability f;
  f.set_name(name);
  f.set_size_bytes(4 * 256 * 1024);
  f.set_chunk_size_bytes(256 * 1024);
  f.set_root_hash(Hash(hash_fill));
  f.set_chunks_have(chunks_have);
  return f;
}

v1::AnnounceRequest Announce(uint64_t id, uint64_t key, const std::string& name,
                             const std::string& endpoint) {
  v1::AnnounceRequest a;
  a.set_peer_id(id);
  a.set_peer_key(key);
  a.set_username(name);
  a.set_chunk_endpoint(endpoint);
  return a;
}

std::unique_ptr<TrackerClient> Client(uint16_t port, const std::string& host = "127.0.0.1") {
  auto client = TrackerClient::Create(
      {.host = host, .port = port, .initial_timeout = absl::Milliseconds(200), .max_retries = 4});
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

TEST(TrackerUdpTest, AnnounceListSearchFilePeersRenameLeave) {
  auto tracker = testing::TrackerProcess::Start({.dir = TestDir("roundtrip")});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto client = Client((*tracker)->port());
  ASSERT_NE(client, nullptr);

  v1::AnnounceRequest alice = Announce(1, 111, "alice", "tcp://127.0.0.1:7001");
  *alice.add_files() = File("movie.mkv", 'a', 4);  // seeder
  *alice.add_files() = File("notes.txt", 'b', 4);
  absl::StatusOr<v1::AnnounceResponse> a = client->Announce(alice);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->peer_count(), 1u);
  EXPECT_EQ(a->interval_seconds(), 60u);

  // Bob claims a third party's host: the tracker lists the address the
  // announce came from, with bob's port.
  v1::AnnounceRequest bob = Announce(2, 222, "bob", "tcp://203.0.113.9:7002");
  *bob.add_files() = File("movie.mkv", 'a', 1);  // leecher
  *bob.add_files() = File("movie.mkv", 'c', 4);  // same name, other content
  a = client->Announce(bob);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->peer_count(), 2u);

  absl::StatusOr<v1::ListPeersResponse> peers = client->ListPeers({});
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(peers->total_peers(), 2u);
  EXPECT_TRUE(peers->next_page_token().empty());
  std::vector<std::string> listed;
  for (const auto& p : peers->peers()) listed.push_back(p.username() + "@" + p.chunk_endpoint());
  EXPECT_THAT(listed,
              UnorderedElementsAre("alice@tcp://127.0.0.1:7001", "bob@tcp://127.0.0.1:7002"));

  v1::SearchFilesRequest search;
  search.set_query("MOVIE");
  absl::StatusOr<v1::SearchFilesResponse> found = client->SearchFiles(search);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->files_size(), 2);  // two contents named movie.mkv
  for (const auto& f : found->files()) {
    if (f.root_hash() == Hash('a')) {
      EXPECT_EQ(f.seeders(), 1u);
      EXPECT_EQ(f.leechers(), 1u);
    } else {
      EXPECT_EQ(f.root_hash(), Hash('c'));
      EXPECT_EQ(f.seeders(), 1u);
      EXPECT_EQ(f.leechers(), 0u);
    }
  }

  v1::GetFilePeersRequest who;
  who.set_root_hash(Hash('a'));
  absl::StatusOr<v1::GetFilePeersResponse> holders = client->GetFilePeers(who);
  ASSERT_TRUE(holders.ok()) << holders.status();
  ASSERT_EQ(holders->peers_size(), 2);
  EXPECT_EQ(holders->peers(0).username(), "alice");  // seeders first
  EXPECT_EQ(holders->peers(0).chunks_have(), 4u);
  EXPECT_EQ(holders->peers(1).username(), "bob");
  EXPECT_EQ(holders->file().name(), "movie.mkv");

  who.set_root_hash(Hash('z'));
  EXPECT_EQ(client->GetFilePeers(who).status().code(), absl::StatusCode::kNotFound);

  // Rename: to a free name works; to a taken one fails; wrong key fails.
  EXPECT_TRUE(client->Rename(1, 111, "alice2").ok());
  EXPECT_EQ(client->Rename(2, 222, "alice2").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(client->Rename(2, 999, "carol").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->Leave(1, 999).code(), absl::StatusCode::kPermissionDenied);

  EXPECT_TRUE(client->Leave(2, 222).ok());
  EXPECT_EQ(client->Leave(2, 222).code(), absl::StatusCode::kNotFound);
  peers = client->ListPeers({});
  ASSERT_TRUE(peers.ok()) << peers.status();
  ASSERT_EQ(peers->peers_size(), 1);
  EXPECT_EQ(peers->peers(0).username(), "alice2");

  absl::StatusOr<v1::GetStatsResponse> stats = client->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->peers(), 1u);
  EXPECT_EQ(stats->files(), 2u);  // 'c' went with bob
  EXPECT_EQ(stats->announces(), 2u);

  EXPECT_EQ((*tracker)->Stop(), 0);  // SIGTERM: clean exit 0
}

}  // namespace
}  // namespace pytorrent

namespace pytorrent {
namespace {

// Several I/O threads share the registry: concurrent clients must all land.
TEST(TrackerUdpTest, ConcurrentClientsWithTwoIoThreads) {
  auto tracker = testing::TrackerProcess::Start(
      {.dir = testing::TestDir("threads"), .args = {"--io-threads", "2"}});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  constexpr int kClients = 4;
  constexpr int kPeersEach = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto client = Client((*tracker)->port());
      if (client == nullptr) {
        ++failures;
        return;
      }
      for (int p = 0; p < kPeersEach; ++p) {
        const uint64_t id = static_cast<uint64_t>(c * kPeersEach + p + 1);
        v1::AnnounceRequest a = Announce(id, id + 1, "u" + std::to_string(id), "");
        *a.add_files() = File("f" + std::to_string(p), static_cast<char>('a' + p % 20), 4);
        if (!client->Announce(a).ok()) ++failures;
        v1::GetFilePeersRequest who;
        who.set_root_hash(Hash(static_cast<char>('a' + p % 20)));
        if (!client->GetFilePeers(who).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto client = Client((*tracker)->port());
  ASSERT_NE(client, nullptr);
  absl::StatusOr<v1::GetStatsResponse> stats = client->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->peers(), static_cast<uint32_t>(kClients * kPeersEach));
  EXPECT_EQ(stats->files(), 20u);
  EXPECT_EQ(stats->announces(), static_cast<uint64_t>(kClients * kPeersEach));
  EXPECT_EQ(stats->errors(), 0u);
  EXPECT_EQ((*tracker)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent

namespace pytorrent {
namespace {

// Sends `request` from `fd` to 127.0.0.1:`port`; returns the reply.
v1::TrackerResponse Exchange(int fd, uint16_t port, const v1::TrackerRequest& request) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string bytes = request.SerializeAsString();
  sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  v1::TrackerResponse reply;
  pollfd pfd{fd, POLLIN, 0};
  if (poll(&pfd, 1, 5000) == 1) {
    char buf[2048];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    EXPECT_TRUE(n > 0 && reply.ParseFromArray(buf, static_cast<int>(n)));
  } else {
    ADD_FAILURE() << "no reply from port " << port;
  }
  return reply;
}

// Instances given the same --secret-file accept each other's connection ids;
// one with another secret does not.
TEST(TrackerUdpTest, SharedSecretFileLetsInstancesShareIds) {
  const std::string dir = testing::TestDir("secret");
  const std::string secret = dir + "/secret";
  {
    std::ofstream out(secret);
    out << std::string(64, 'a') << "\n";  // 64 hex digits
  }
  auto a = testing::TrackerProcess::Start({.dir = dir + "/a", .args = {"--secret-file", secret}});
  auto b = testing::TrackerProcess::Start({.dir = dir + "/b", .args = {"--secret-file", secret}});
  auto c = testing::TrackerProcess::Start({.dir = dir + "/c"});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  v1::TrackerRequest connect;
  connect.set_transaction_id(1);
  connect.mutable_connect()->set_protocol_magic(0x41727101980ULL);
  connect.mutable_connect()->set_padding(std::string(16, '\0'));
  const v1::TrackerResponse minted = Exchange(fd, (*a)->port(), connect);
  ASSERT_TRUE(minted.has_connect());

  v1::TrackerRequest stats;
  stats.set_transaction_id(2);
  stats.set_connection_id(minted.connect().connection_id());
  stats.mutable_get_stats();
  EXPECT_TRUE(Exchange(fd, (*b)->port(), stats).has_get_stats());
  EXPECT_EQ(Exchange(fd, (*c)->port(), stats).error().code(),
            v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID);
  close(fd);

  // A malformed secret file is a start-up error.
  {
    std::ofstream out(secret);
    out << "too short";
  }
  EXPECT_FALSE(
      testing::TrackerProcess::Start({.dir = dir + "/d", .args = {"--secret-file", secret}}).ok());
}

TEST(TrackerUdpTest, MaxFilesFromConfigCapsDistinctFiles) {
  const std::string dir = TestDir("max_files");
  const std::string config = dir + "/tracker.conf";
  {
    std::ofstream out(config);
    out << "max_files=2\n";
  }
  auto tracker = testing::TrackerProcess::Start({.dir = dir, .args = {"--config", config}});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto client = Client((*tracker)->port());
  ASSERT_NE(client, nullptr);

  v1::AnnounceRequest alice = Announce(1, 111, "alice", "tcp://127.0.0.1:7001");
  *alice.add_files() = File("a", 'a', 4);
  *alice.add_files() = File("b", 'b', 4);
  ASSERT_TRUE(client->Announce(alice).ok());
  v1::AnnounceRequest bob = Announce(2, 222, "bob", "tcp://127.0.0.1:7002");
  *bob.add_files() = File("c", 'c', 4);
  EXPECT_EQ(client->Announce(bob).status().code(), absl::StatusCode::kResourceExhausted);
  // A known file is fine, and the announce can carry that file's peers.
  bob.clear_files();
  *bob.add_files() = File("a", 'a', 0);
  bob.set_peers_for_root_hash(Hash('a'));
  absl::StatusOr<v1::AnnounceResponse> reply = client->Announce(bob);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->peers_size(), 1);
  EXPECT_EQ(reply->peers(0).username(), "alice");
  EXPECT_EQ(reply->file().seeders(), 1u);
  EXPECT_EQ(reply->file().leechers(), 1u);
  absl::StatusOr<v1::GetStatsResponse> stats = client->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->files(), 2u);
}

// The default bind address: one dual-stack socket. A peer on IPv6 and a
// peer on IPv4 both register; each is listed at the address it came from.
TEST(TrackerUdpTest, DualStackSocketServesIpv6AndIpv4) {
  auto tracker = testing::TrackerProcess::Start({.dir = TestDir("dual"), .host = "::"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto v4 = Client((*tracker)->port(), "127.0.0.1");
  auto v6 = Client((*tracker)->port(), "[::1]");  // brackets as people write them
  ASSERT_NE(v4, nullptr);
  ASSERT_NE(v6, nullptr);
  v1::AnnounceRequest alice = Announce(1, 111, "alice", "");
  alice.set_chunk_port(7001);
  ASSERT_TRUE(v4->Announce(alice).ok());
  v1::AnnounceRequest bob = Announce(2, 222, "bob", "");
  bob.set_chunk_port(7002);
  ASSERT_TRUE(v6->Announce(bob).ok());
  for (TrackerClient* client : {v4.get(), v6.get()}) {
    absl::StatusOr<v1::ListPeersResponse> peers = client->ListPeers({});
    ASSERT_TRUE(peers.ok()) << peers.status();
    std::vector<std::string> listed;
    for (const auto& p : peers->peers()) listed.push_back(p.username() + "@" + p.chunk_endpoint());
    EXPECT_THAT(listed, UnorderedElementsAre("alice@tcp://127.0.0.1:7001", "bob@tcp://[::1]:7002"));
  }
  EXPECT_EQ((*tracker)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent
