#include "tracker/request_handler.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/time_source.h"
#include "tracker/swarm_registry.h"

namespace pytorrent::tracker {
namespace {

const SourceAddress kAlice = SourceAddress::Ipv4(0x7f000001, 40000);
const SourceAddress kMallory = SourceAddress::Ipv4(0x0a000001, 40000);

class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest()
      : registry_({.announce_interval = absl::Seconds(30)}, 1),
        minter_(*ConnectionIdMinter::Create(std::string(kSecretBytes, 'k'), absl::Seconds(120))),
        handler_(registry_, *minter_, clock_.Now()) {}

  // Sends raw bytes; returns the reply bytes ("" when dropped).
  std::string SendBytes(const std::string& bytes, const SourceAddress& from = kAlice) {
    uint8_t out[kMaxReplyBytes];
    const size_t n = handler_.Handle(
        absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
        from, clock_.Now(), absl::Span<uint8_t>(out, sizeof(out)));
    EXPECT_LE(n, kMaxReplyBytes);
    return std::string(reinterpret_cast<const char*>(out), n);
  }

  v1::TrackerResponse Send(const v1::TrackerRequest& request, const SourceAddress& from = kAlice) {
    const std::string reply = SendBytes(request.SerializeAsString(), from);
    v1::TrackerResponse response;
    EXPECT_FALSE(reply.empty()) << "dropped";
    EXPECT_TRUE(response.ParseFromString(reply));
    EXPECT_EQ(response.transaction_id(), request.transaction_id());
    return response;
  }

  uint64_t Connect(const SourceAddress& from = kAlice) {
    v1::TrackerRequest r;
    r.set_transaction_id(5);
    r.mutable_connect()->set_protocol_magic(kProtocolMagic);
    r.mutable_connect()->set_padding(std::string(16, '\0'));
    v1::TrackerResponse reply = Send(r, from);
    EXPECT_TRUE(reply.has_connect());
    EXPECT_EQ(reply.connect().lifetime_seconds(), 120u);
    return reply.connect().connection_id();
  }

  static v1::TrackerRequest AnnounceWith(uint64_t connection_id) {
    v1::TrackerRequest r;
    r.set_connection_id(connection_id);
    r.set_transaction_id(77);
    v1::AnnounceRequest* a = r.mutable_announce();
    a->set_peer_id(1);
    a->set_peer_key(2);
    a->set_username("alice");
    a->set_chunk_endpoint("tcp://127.0.0.1:7000");
    return r;
  }

  uint64_t Rejects(RejectKind kind) {
    return handler_.counters().rejects[static_cast<size_t>(kind)];
  }

  FakeTimeSource clock_;
  SwarmRegistry registry_;
  std::unique_ptr<ConnectionIdMinter> minter_;
  RequestHandler handler_;
};

TEST_F(HandlerTest, ConnectThenAnnounce) {
  const uint64_t id = Connect();
  v1::TrackerResponse reply = Send(AnnounceWith(id));
  ASSERT_TRUE(reply.has_announce()) << reply.DebugString();
  EXPECT_EQ(reply.announce().interval_seconds(), 30u);
  EXPECT_EQ(reply.announce().peer_count(), 1u);
  EXPECT_EQ(registry_.CountPeers(), 1u);
  EXPECT_EQ(handler_.counters().announces(), 1u);
}

TEST_F(HandlerTest, ForgedConnectionIdChangesNothing) {
  v1::TrackerResponse reply = Send(AnnounceWith(/*connection_id=*/42));
  EXPECT_EQ(reply.error().code(), v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID);
  EXPECT_EQ(registry_.CountPeers(), 0u);
  EXPECT_EQ(Rejects(RejectKind::kBadConnectionId), 1u);
}

TEST_F(HandlerTest, ExpiredConnectionIdIsRejected) {
  const uint64_t id = Connect();
  clock_.Advance(absl::Seconds(240));
  EXPECT_EQ(Send(AnnounceWith(id)).error().code(), v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID);
  EXPECT_EQ(registry_.CountPeers(), 0u);
}

TEST_F(HandlerTest, ConnectionIdFromAnotherAddressIsRejected) {
  const uint64_t id = Connect(kAlice);
  EXPECT_EQ(Send(AnnounceWith(id), kMallory).error().code(),
            v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID);
  EXPECT_EQ(registry_.CountPeers(), 0u);
}

TEST_F(HandlerTest, ConnectWithoutPaddingIsDroppedNotAmplified) {
  v1::TrackerRequest r;
  r.mutable_connect()->set_protocol_magic(kProtocolMagic);
  const std::string bytes = r.SerializeAsString();
  EXPECT_EQ(SendBytes(bytes), "");
  EXPECT_EQ(Rejects(RejectKind::kAmplificationDrop), 1u);
}

TEST_F(HandlerTest, ErrorBeforeHandshakeNeverExceedsRequest) {
  // A tiny announce with a bad id: the error message is stripped to fit.
  v1::TrackerRequest r;
  r.set_connection_id(1);
  r.mutable_announce();
  const std::string bytes = r.SerializeAsString();
  const std::string reply = SendBytes(bytes);
  EXPECT_LE(reply.size(), bytes.size());
  if (!reply.empty()) {
    v1::TrackerResponse response;
    ASSERT_TRUE(response.ParseFromString(reply));
    EXPECT_EQ(response.error().code(), v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID);
  }
}

TEST_F(HandlerTest, RandomBytesNeverAmplify) {
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    EXPECT_LE(SendBytes(bytes, kMallory).size(), bytes.size());
  }
  EXPECT_EQ(registry_.CountPeers(), 0u);
}

TEST_F(HandlerTest, MalformedBytesGetTypedError) {
  const std::string garbage(40, '\xff');
  const std::string reply = SendBytes(garbage);
  v1::TrackerResponse response;
  ASSERT_TRUE(response.ParseFromString(reply));
  EXPECT_EQ(response.error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
  EXPECT_EQ(Rejects(RejectKind::kMalformed), 1u);
}

// Finding 2 of issue 14: a datagram whose framing holds but whose contents
// do not parse (invalid UTF-8, a broken sub-message) is answered MALFORMED
// with its transaction id, so a client matching by id fails fast.
TEST_F(HandlerTest, MalformedInsideEchoesTransactionId) {
  v1::TrackerRequest r = AnnounceWith(Connect());
  r.set_transaction_id(0xA1B2C3D4);
  std::string bytes = r.SerializeAsString();
  const size_t at = bytes.find("alice");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] = '\xff';  // "al\xffce": not UTF-8
  v1::TrackerResponse response;
  ASSERT_TRUE(response.ParseFromString(SendBytes(bytes)));
  EXPECT_EQ(response.error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
  EXPECT_EQ(response.transaction_id(), 0xA1B2C3D4u);
  EXPECT_EQ(registry_.CountPeers(), 0u);

  // A sub-message holding a key with field number 0, the id after it.
  const std::string broken_sub =
      std::string("\x22\x02\x00\x00", 4) + std::string("\x15\x07\x00\x00\x00", 5);
  ASSERT_TRUE(response.ParseFromString(SendBytes(broken_sub, kMallory)));
  EXPECT_EQ(response.error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
  EXPECT_EQ(response.transaction_id(), 7u);
}

TEST_F(HandlerTest, MalformedFramingRepliesWithTransactionIdZero) {
  // The id, then a length that runs past the end: framing is broken.
  const std::string truncated = std::string("\x15\x07\x00\x00\x00\x22\x7f", 7) + "abcdef";
  v1::TrackerResponse response;
  ASSERT_TRUE(response.ParseFromString(SendBytes(truncated)));
  EXPECT_EQ(response.error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
  EXPECT_EQ(response.transaction_id(), 0u);
}

TEST_F(HandlerTest, UnknownKindIsUnsupported) {
  // Field 14 of TrackerRequest is not defined: a future request kind.
  std::string bytes = v1::TrackerRequest().SerializeAsString();
  bytes += std::string("\x72\x20", 2) + std::string(32, 'x');
  v1::TrackerResponse response;
  ASSERT_TRUE(response.ParseFromString(SendBytes(bytes)));
  EXPECT_EQ(response.error().code(), v1::TRACKER_ERROR_CODE_UNSUPPORTED);
  EXPECT_EQ(Rejects(RejectKind::kUnsupported), 1u);
}

TEST_F(HandlerTest, BadMagicIsRejected) {
  v1::TrackerRequest r;
  r.mutable_connect()->set_protocol_magic(1);
  r.mutable_connect()->set_padding(std::string(64, '\0'));
  EXPECT_EQ(Send(r).error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
  EXPECT_EQ(Rejects(RejectKind::kBadMagic), 1u);
}

TEST_F(HandlerTest, OversizeIsDroppedUnread) {
  const std::string big(kMaxRequestBytes + 1, '\0');
  EXPECT_EQ(SendBytes(big), "");
  EXPECT_EQ(Rejects(RejectKind::kOversize), 1u);
  // Exactly the limit is read (and here is a valid empty-ish message).
  v1::TrackerRequest r;
  r.mutable_connect()->set_protocol_magic(kProtocolMagic);
  r.mutable_connect()->set_padding(std::string(kMaxRequestBytes - 16, '\0'));
  std::string at_limit = r.SerializeAsString();
  ASSERT_LE(at_limit.size(), kMaxRequestBytes);
  EXPECT_NE(SendBytes(at_limit), "");
}

TEST_F(HandlerTest, RegistryErrorsAreTyped) {
  const uint64_t id = Connect();
  ASSERT_TRUE(Send(AnnounceWith(id)).has_announce());
  v1::TrackerRequest thief = AnnounceWith(id);
  thief.mutable_announce()->set_peer_key(999);
  EXPECT_EQ(Send(thief).error().code(), v1::TRACKER_ERROR_CODE_NOT_OWNER);
  v1::TrackerRequest other = AnnounceWith(id);
  other.mutable_announce()->set_peer_id(5);
  EXPECT_EQ(Send(other).error().code(), v1::TRACKER_ERROR_CODE_USERNAME_TAKEN);
  v1::TrackerRequest leave;
  leave.set_connection_id(id);
  leave.mutable_leave()->set_peer_id(9);
  EXPECT_EQ(Send(leave).error().code(), v1::TRACKER_ERROR_CODE_UNKNOWN_PEER);
  v1::TrackerRequest who;
  who.set_connection_id(id);
  who.mutable_get_file_peers()->set_root_hash(std::string(32, 'q'));
  EXPECT_EQ(Send(who).error().code(), v1::TRACKER_ERROR_CODE_NOT_FOUND);
  who.mutable_get_file_peers()->set_root_hash("short");
  EXPECT_EQ(Send(who).error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
}

TEST_F(HandlerTest, ListingsArePagedUnder1200Bytes) {
  const uint64_t id = Connect();
  for (uint64_t p = 1; p <= 60; ++p) {
    v1::TrackerRequest r = AnnounceWith(id);
    r.mutable_announce()->set_peer_id(p);
    r.mutable_announce()->set_username(std::string(30, 'a') + std::to_string(p));
    r.mutable_announce()->set_chunk_endpoint("ipc:///" + std::string(150, 'e') + std::to_string(p));
    v1::FileAvailability* f = r.mutable_announce()->add_files();
    f->set_name(std::string(200, 'n') + std::to_string(p));
    f->set_size_bytes(1 << 20);
    f->set_chunk_size_bytes(1 << 18);
    f->set_root_hash(std::string(31, 'h') + static_cast<char>(p));
    f->set_chunks_have(4);
    ASSERT_TRUE(Send(r).has_announce());
  }
  std::set<uint64_t> seen;
  v1::TrackerRequest list;
  list.set_connection_id(id);
  list.mutable_list_peers()->set_page_size(1000);
  for (int page = 0; page < 100; ++page) {
    const std::string reply = SendBytes(list.SerializeAsString());
    ASSERT_LE(reply.size(), kMaxReplyBytes);
    v1::TrackerResponse response;
    ASSERT_TRUE(response.ParseFromString(reply));
    ASSERT_TRUE(response.has_list_peers()) << response.DebugString();
    EXPECT_EQ(response.list_peers().total_peers(), 60u);
    for (const auto& p : response.list_peers().peers()) seen.insert(p.peer_id());
    if (response.list_peers().next_page_token().empty()) break;
    list.mutable_list_peers()->set_page_token(response.list_peers().next_page_token());
  }
  EXPECT_EQ(seen.size(), 60u);

  int files = 0;
  v1::TrackerRequest search;
  search.set_connection_id(id);
  search.mutable_search_files()->set_page_size(1000);
  for (int page = 0; page < 100; ++page) {
    const std::string reply = SendBytes(search.SerializeAsString());
    ASSERT_LE(reply.size(), kMaxReplyBytes);
    v1::TrackerResponse response;
    ASSERT_TRUE(response.ParseFromString(reply));
    files += response.search_files().files_size();
    if (response.search_files().next_page_token().empty()) break;
    search.mutable_search_files()->set_page_token(response.search_files().next_page_token());
  }
  EXPECT_EQ(files, 60);
}

// An announce of peer `p` holding `chunks_have` of the 4-chunk file `root`.
v1::TrackerRequest SwarmAnnounce(uint64_t connection_id, uint64_t p, const std::string& root,
                                 uint32_t chunks_have, const std::string& username,
                                 const std::string& endpoint) {
  v1::TrackerRequest r;
  r.set_connection_id(connection_id);
  r.set_transaction_id(static_cast<uint32_t>(p));
  v1::AnnounceRequest* a = r.mutable_announce();
  a->set_peer_id(p);
  a->set_peer_key(p * 31);
  a->set_username(username);
  a->set_chunk_endpoint(endpoint);
  v1::FileAvailability* f = a->add_files();
  f->set_name(std::string(250, 'n'));
  f->set_size_bytes(4 << 18);
  f->set_chunk_size_bytes(1 << 18);
  f->set_root_hash(root);
  f->set_chunks_have(chunks_have);
  return r;
}

TEST_F(HandlerTest, AnnounceWithPeersListsSwarmSeedersFirstWithoutSelf) {
  const uint64_t id = Connect();
  const std::string root(32, 'r');
  for (uint64_t p = 1; p <= 6; ++p) {
    // Peers 1-3 seed (4 of 4 chunks), 4-6 leech (1 chunk).
    ASSERT_TRUE(Send(SwarmAnnounce(id, p, root, p <= 3 ? 4 : 1, "u" + std::to_string(p),
                                   "tcp://127.0.0.1:" + std::to_string(7000 + p)))
                    .has_announce());
  }
  v1::TrackerRequest r = SwarmAnnounce(id, 7, root, 4, "seven", "tcp://127.0.0.1:7007");
  r.mutable_announce()->set_peers_for_root_hash(root);
  const v1::TrackerResponse reply = Send(r);
  ASSERT_TRUE(reply.has_announce()) << reply.DebugString();
  const v1::AnnounceResponse& a = reply.announce();
  EXPECT_EQ(a.peer_count(), 7u);
  // Counts include this announce: 1-3 and 7 seed.
  ASSERT_TRUE(a.has_file());
  EXPECT_EQ(a.file().root_hash(), root);
  EXPECT_EQ(a.file().seeders(), 4u);
  EXPECT_EQ(a.file().leechers(), 3u);
  ASSERT_EQ(a.peers_size(), 6);
  std::set<uint64_t> ids;
  for (int i = 0; i < a.peers_size(); ++i) {
    const v1::FilePeer& fp = a.peers(i);
    EXPECT_NE(fp.peer_id(), 7u) << "the announcing peer is left out";
    ids.insert(fp.peer_id());
    // Seeders first.
    EXPECT_EQ(fp.chunks_have(), i < 3 ? 4u : 1u) << i;
    EXPECT_EQ(fp.chunk_endpoint(), "tcp://127.0.0.1:" + std::to_string(7000 + fp.peer_id()));
    EXPECT_EQ(fp.username(), "u" + std::to_string(fp.peer_id()));
  }
  EXPECT_EQ(ids, (std::set<uint64_t>{1, 2, 3, 4, 5, 6}));

  // max_peers bounds the list.
  r.mutable_announce()->set_max_peers(2);
  const v1::TrackerResponse two = Send(r);
  ASSERT_EQ(two.announce().peers_size(), 2);
  for (const v1::FilePeer& fp : two.announce().peers()) EXPECT_EQ(fp.chunks_have(), 4u);
}

TEST_F(HandlerTest, AnnounceWithPeersFitsOneDatagramWithLongFields) {
  const uint64_t id = Connect();
  const std::string root(32, 'L');
  for (uint64_t p = 1; p <= 100; ++p) {
    // Longest legal usernames (32 bytes) and endpoints (200 bytes).
    std::string name = std::to_string(p);
    name = std::string(32 - name.size(), 'x') + name;
    std::string endpoint = "ipc:///" + std::to_string(p);
    endpoint += std::string(kMaxEndpointBytes - endpoint.size(), 'e');
    ASSERT_TRUE(
        Send(SwarmAnnounce(id, p, root, p % 2 == 0 ? 4 : 2, name, endpoint)).has_announce());
  }
  v1::TrackerRequest r = SwarmAnnounce(id, 50, root, 4, std::string(30, 'x') + "50",
                                       "ipc:///50" + std::string(kMaxEndpointBytes - 9, 'e'));
  r.mutable_announce()->set_peers_for_root_hash(root);
  r.mutable_announce()->set_max_peers(1000);
  const std::string bytes = SendBytes(r.SerializeAsString());
  ASSERT_LE(bytes.size(), kMaxReplyBytes);
  v1::TrackerResponse reply;
  ASSERT_TRUE(reply.ParseFromString(bytes));
  ASSERT_TRUE(reply.has_announce()) << reply.DebugString();
  // Each peer takes about 250 bytes: as many as fit, at least a few.
  EXPECT_GE(reply.announce().peers_size(), 3);
  EXPECT_EQ(reply.announce().file().seeders(), 50u);
  EXPECT_EQ(reply.announce().file().leechers(), 50u);
  for (const v1::FilePeer& fp : reply.announce().peers()) {
    EXPECT_NE(fp.peer_id(), 50u);
    EXPECT_EQ(fp.chunks_have(), 4u) << "seeders first, and there are 49 other seeders";
  }
}

TEST_F(HandlerTest, AnnounceWithPeersForUnknownFileHasNoPeers) {
  const uint64_t id = Connect();
  v1::TrackerRequest r = AnnounceWith(id);
  r.mutable_announce()->set_peers_for_root_hash(std::string(32, 'u'));
  const v1::TrackerResponse reply = Send(r);
  ASSERT_TRUE(reply.has_announce()) << reply.DebugString();
  EXPECT_EQ(reply.announce().peers_size(), 0);
  EXPECT_FALSE(reply.announce().has_file());
  EXPECT_EQ(registry_.CountPeers(), 1u);

  // Without the request field the reply is what it always was.
  const v1::TrackerResponse plain = Send(AnnounceWith(id));
  EXPECT_EQ(plain.announce().peers_size(), 0);
  EXPECT_FALSE(plain.announce().has_file());
}

TEST_F(HandlerTest, AnnounceWithBadPeersForHashChangesNothing) {
  const uint64_t id = Connect();
  v1::TrackerRequest r = AnnounceWith(id);
  r.mutable_announce()->set_peers_for_root_hash("short");
  EXPECT_EQ(Send(r).error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
  EXPECT_EQ(registry_.CountPeers(), 0u);
  EXPECT_EQ(Rejects(RejectKind::kInvalidArgument), 1u);
}

TEST_F(HandlerTest, StatsCountRequestsAndErrors) {
  const uint64_t id = Connect();
  Send(AnnounceWith(id));
  SendBytes(std::string(40, '\xff'));
  v1::TrackerRequest stats;
  stats.set_connection_id(id);
  stats.mutable_get_stats();
  v1::TrackerResponse reply = Send(stats);
  ASSERT_TRUE(reply.has_get_stats());
  EXPECT_EQ(reply.get_stats().peers(), 1u);
  EXPECT_EQ(reply.get_stats().announces(), 1u);
  EXPECT_EQ(reply.get_stats().requests(), 4u);
  EXPECT_EQ(reply.get_stats().errors(), 1u);
  EXPECT_EQ(handler_.counters().requests[static_cast<size_t>(RequestKind::kConnect)], 1u);
  EXPECT_EQ(handler_.counters().requests[static_cast<size_t>(RequestKind::kGetStats)], 1u);
}

}  // namespace
}  // namespace pytorrent::tracker
