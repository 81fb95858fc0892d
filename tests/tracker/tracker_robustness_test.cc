// The real tracker binary under bad input and silent peers, over loopback UDP.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <string>

#include "peer/tracker_client.h"
#include "proto/tracker.pb.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent {
namespace {

using ::pytorrent::peer::TrackerClient;
using ::pytorrent::testing::TestDir;
using ::pytorrent::testing::TrackerProcess;

std::unique_ptr<TrackerClient> Client(uint16_t port) {
  auto client = TrackerClient::Create({.host = "127.0.0.1",
                                       .port = port,
                                       .initial_timeout = absl::Milliseconds(200),
                                       .max_retries = 4});
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

v1::AnnounceRequest Announce(uint64_t id, const std::string& name) {
  v1::AnnounceRequest a;
  a.set_peer_id(id);
  a.set_peer_key(id + 100);
  a.set_username(name);
  a.set_chunk_endpoint("tcp://127.0.0.1:" + std::to_string(7000 + id));
  v1::FileAvailability* f = a.add_files();
  f->set_name(name + ".bin");
  f->set_size_bytes(1 << 20);
  f->set_chunk_size_bytes(1 << 18);
  f->set_root_hash(std::string(32, static_cast<char>('a' + id)));
  f->set_chunks_have(4);
  return a;
}

bool Listed(TrackerClient& client, const std::string& name) {
  auto peers = client.ListPeers({});
  EXPECT_TRUE(peers.ok()) << peers.status();
  if (!peers.ok()) return false;
  for (const auto& p : peers->peers()) {
    if (p.username() == name) return true;
  }
  return false;
}

TEST(TrackerRobustnessTest, SilentPeerDisappearsAfterExpiry) {
  auto tracker =
      TrackerProcess::Start({.dir = TestDir("expiry"), .args = {"--announce-interval-s", "1"}});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto client = Client((*tracker)->port());
  ASSERT_NE(client, nullptr);

  ASSERT_TRUE(client->Announce(Announce(1, "silent")).ok());
  ASSERT_TRUE(client->Announce(Announce(2, "chatty")).ok());
  ASSERT_TRUE(Listed(*client, "silent"));

  // "chatty" keeps announcing (every loop turn, well within 2 x 1 s);
  // "silent" must vanish within its 2 s expiry (deadline generous).
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + absl::Seconds(20);
  bool gone = false;
  while (!gone && absl::Now() < deadline) {
    ASSERT_TRUE(client->Announce(Announce(2, "chatty")).ok());
    gone = !Listed(*client, "silent");
    if (!gone) usleep(100'000);  // poll interval of the deadline wait
  }
  ASSERT_TRUE(gone) << "silent peer still listed after 20 s";
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));  // not before its expiry
  EXPECT_TRUE(Listed(*client, "chatty"));
  auto stats = client->GetStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->peers(), 1u);
  EXPECT_EQ(stats->files(), 1u);  // silent's file went with it
  v1::GetFilePeersRequest who;
  who.set_root_hash(std::string(32, 'b'));
  EXPECT_EQ(client->GetFilePeers(who).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*tracker)->Stop(), 0);
}

// A raw UDP socket for sending garbage.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  ~RawSocket() { close(fd_); }
  void Send(const std::string& bytes) { send(fd_, bytes.data(), bytes.size(), 0); }
  // Waits up to `timeout` for one datagram.
  bool Receive(std::string* out, absl::Duration timeout) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) <= 0) return false;
    char buf[2048];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return false;
    out->assign(buf, static_cast<size_t>(n));
    return true;
  }

 private:
  int fd_;
};

TEST(TrackerRobustnessTest, BurstOfMalformedDatagramsLeavesTrackerServing) {
  auto tracker = TrackerProcess::Start({.dir = TestDir("burst")});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto client = Client((*tracker)->port());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Announce(Announce(1, "alice")).ok());

  RawSocket raw((*tracker)->port());
  std::mt19937 rng(11);
  constexpr int kTotal = 10'000;
  constexpr int kWindow = 100;
  int answerable = 0;
  int answered = 0;
  int sent = 0;
  while (sent < kTotal) {
    int expect = 0;
    for (int i = 0; i < kWindow && sent < kTotal; ++i, ++sent) {
      std::string bytes;
      switch (sent % 5) {
        case 0: {  // random garbage, big enough for an error reply
          bytes.resize(48 + rng() % 200);
          for (char& c : bytes) c = static_cast<char>(rng());
          bytes[0] = '\xff';  // an invalid tag: never a valid message
          ++expect;
          break;
        }
        case 1: {  // announce with a forged connection id
          v1::TrackerRequest r;
          r.set_connection_id(rng());
          *r.mutable_announce() = Announce(50 + sent, "mallory" + std::to_string(sent));
          bytes = r.SerializeAsString();
          ++expect;
          break;
        }
        case 2:  // oversize: dropped unread
          bytes.assign(9000, 'x');
          break;
        case 3: {  // connect with a wrong magic
          v1::TrackerRequest r;
          r.mutable_connect()->set_protocol_magic(rng());
          r.mutable_connect()->set_padding(std::string(64, '\0'));
          bytes = r.SerializeAsString();
          ++expect;
          break;
        }
        case 4:  // empty datagram: nothing fits in 0 bytes, dropped
          break;
      }
      raw.Send(bytes);
    }
    answerable += expect;
    std::string reply;
    for (int got = 0; got < expect && raw.Receive(&reply, absl::Seconds(5)); ++got) {
      v1::TrackerResponse response;
      ASSERT_TRUE(response.ParseFromString(reply));
      ASSERT_TRUE(response.has_error());
      ++answered;
    }
  }
  EXPECT_EQ(answered, answerable);

  // Still serving, and every bad datagram was counted.
  ASSERT_TRUE(client->Announce(Announce(2, "bob")).ok());
  auto stats = client->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->peers(), 2u);
  EXPECT_EQ(stats->errors(), static_cast<uint64_t>(kTotal));
  EXPECT_EQ(stats->announces(), 2u + kTotal / 5);  // forged ones count as requests only
  EXPECT_EQ((*tracker)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent
