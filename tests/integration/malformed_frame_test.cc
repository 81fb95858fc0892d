// Garbage sent to a seeder's ZeroMQ ROUTER: each malformed message gets a
// Reject (or, when oversized, the connection is dropped by ZeroMQ), is
// counted, and the seeder keeps serving real requests.
#include "common/sha256.h"
#include "gtest/gtest.h"
#include "proto/wire.pb.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"
#include "zmq.hpp"

namespace pytorrent::testing {
namespace {

// Receives one multipart message within `timeout`; empty on timeout.
std::vector<zmq::message_t> ReceiveWithin(zmq::socket_t& socket, absl::Duration timeout) {
  std::vector<zmq::message_t> frames;
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout))) <= 0) {
    return frames;
  }
  bool more = true;
  while (more) {
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::none)) break;
    more = frame.more();
    frames.push_back(std::move(frame));
  }
  return frames;
}

v1::PeerMessage Header(const zmq::message_t& frame) {
  v1::PeerMessage m;
  m.ParseFromArray(frame.data(), static_cast<int>(frame.size()));
  return m;
}

TEST(MalformedFrameIntegrationTest, GarbageIsRejectedCountedAndSeederKeepsServing) {
  std::string dir = TestDir("malformed");
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  std::string source = dir + "/seeder/user/shared_files/a.bin";
  WriteRandomFile(source, 1 << 20, 4);
  std::string root_hex = RootHexOf(source, 256);
  Sha256Digest root{};
  ASSERT_TRUE(DigestFromHex(root_hex, root));
  auto seeder = PeerProcess::Start({.home = dir + "/seeder", .args = {"--tracker", addr}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  std::string endpoint = ReadFile(dir + "/seeder/state/chunk_endpoint");
  endpoint.erase(endpoint.find_last_not_of("\n") + 1);

  zmq::context_t context;
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  const absl::Duration kWait = absl::Seconds(10);

  // 1. Bytes that are not a PeerMessage.
  dealer.send(zmq::str_buffer("\xff\xff\xff garbage"), zmq::send_flags::none);
  auto reply = ReceiveWithin(dealer, kWait);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(Header(reply[0]).reject().reason(), v1::REJECT_REASON_MALFORMED);

  // 2. Two frames where one is expected.
  v1::PeerMessage hello;
  hello.mutable_hello()->set_protocol_version(v1::PROTOCOL_VERSION_1);
  std::string hello_bytes = hello.SerializeAsString();
  dealer.send(zmq::buffer(hello_bytes), zmq::send_flags::sndmore);
  dealer.send(zmq::str_buffer("extra"), zmq::send_flags::none);
  reply = ReceiveWithin(dealer, kWait);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(Header(reply[0]).reject().reason(), v1::REJECT_REASON_MALFORMED);

  // 3. A root hash of the wrong length.
  v1::PeerMessage bad_root;
  bad_root.mutable_chunk_request()->set_root_hash("short");
  std::string bad_root_bytes = bad_root.SerializeAsString();
  dealer.send(zmq::buffer(bad_root_bytes), zmq::send_flags::none);
  reply = ReceiveWithin(dealer, kWait);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(Header(reply[0]).reject().reason(), v1::REJECT_REASON_MALFORMED);

  // 4. Unknown file and unknown chunk.
  v1::PeerMessage unknown;
  unknown.mutable_chunk_request()->set_root_hash(std::string(32, 'x'));
  std::string unknown_bytes = unknown.SerializeAsString();
  dealer.send(zmq::buffer(unknown_bytes), zmq::send_flags::none);
  reply = ReceiveWithin(dealer, kWait);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(Header(reply[0]).reject().reason(), v1::REJECT_REASON_UNKNOWN_FILE);
  v1::PeerMessage past_end;
  past_end.mutable_chunk_request()->set_root_hash(DigestToBytes(root));
  past_end.mutable_chunk_request()->set_chunk_index(4);
  std::string past_end_bytes = past_end.SerializeAsString();
  dealer.send(zmq::buffer(past_end_bytes), zmq::send_flags::none);
  reply = ReceiveWithin(dealer, kWait);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(Header(reply[0]).reject().reason(), v1::REJECT_REASON_UNKNOWN_CHUNK);
  EXPECT_EQ(Header(reply[0]).reject().chunk_index(), 4u);

  // 5. An oversized frame: ZeroMQ drops that connection; a new one works.
  {
    zmq::socket_t flood(context, zmq::socket_type::dealer);
    flood.set(zmq::sockopt::linger, 0);
    flood.connect(endpoint);
    std::string huge(1 << 20, 'A');
    flood.send(zmq::buffer(huge), zmq::send_flags::none);
    EXPECT_TRUE(ReceiveWithin(flood, absl::Milliseconds(500)).empty());
  }

  // The seeder still serves a real chunk, with the right bytes.
  v1::PeerMessage request;
  request.mutable_chunk_request()->set_root_hash(DigestToBytes(root));
  request.mutable_chunk_request()->set_chunk_index(1);
  std::string request_bytes = request.SerializeAsString();
  dealer.send(zmq::buffer(request_bytes), zmq::send_flags::none);
  reply = ReceiveWithin(dealer, kWait);
  ASSERT_EQ(reply.size(), 2u);
  EXPECT_EQ(Header(reply[0]).chunk().chunk_index(), 1u);
  ASSERT_EQ(reply[1].size(), 256u * 1024);
  std::string data = ReadFile(source).substr(256 * 1024, 256 * 1024);
  EXPECT_EQ(reply[1].to_string(), data);

  // And a real leecher completes.
  auto leecher = PeerProcess::Start({.home = dir + "/leecher",
                                     .args = {"--tracker", addr, "--download", root_hex},
                                     .wait_ready = false});
  ASSERT_TRUE(leecher.ok());
  EXPECT_EQ((*leecher)->Wait(absl::Seconds(40)), 0) << ReadFile(dir + "/leecher/stderr.txt");

  ASSERT_EQ((*seeder)->Stop(), 0);
  auto counters =
      LastJsonLineWith(ReadFile(dir + "/seeder/state/counters.json"), "malformed_frames");
  EXPECT_GE(std::stoul(counters["malformed_frames"]), 3u);
  EXPECT_GE(std::stoul(counters["rejects_sent"]), 5u);
}

}  // namespace
}  // namespace pytorrent::testing
