#include "tracker/request_handler.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "common/time_source.h"
#include "tracker/swarm_registry.h"

namespace pytorrent::tracker {
namespace {

const SourceAddress kAlice = SourceAddress::Ipv4(0x7f000001, 40000);
const SourceAddress kMallory = SourceAddress::Ipv4(0x0a000001, 40000);

SourceAddress Ipv6(const char* text, uint16_t port) {
  SourceAddress a;
  a.family = 6;
  in6_addr address{};
  EXPECT_EQ(inet_pton(AF_INET6, text, &address), 1) << text;
  std::memcpy(a.address.data(), &address, 16);
  a.port = port;
  return a;
}

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
    r.mutable_announce()->clear_chunk_endpoint();
    r.mutable_announce()->set_chunk_port(static_cast<uint32_t>(10000 + p));
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
  // The longest endpoint the tracker builds: an IPv6 address with no
  // zero group to compress, and a 5-digit port.
  const SourceAddress longest = Ipv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 40000);
  const uint64_t id = Connect(longest);
  const std::string root(32, 'L');
  auto announce = [&](uint64_t p, uint32_t chunks_have, const std::string& name) {
    v1::TrackerRequest r = SwarmAnnounce(id, p, root, chunks_have, name, "");
    r.mutable_announce()->set_chunk_port(static_cast<uint32_t>(65535 - p));
    return r;
  };
  for (uint64_t p = 1; p <= 100; ++p) {
    // Longest legal usernames (32 bytes).
    std::string name = std::to_string(p);
    name = std::string(32 - name.size(), 'x') + name;
    ASSERT_TRUE(Send(announce(p, p % 2 == 0 ? 4 : 2, name), longest).has_announce());
  }
  v1::TrackerRequest r = announce(50, 4, std::string(30, 'x') + "50");
  r.mutable_announce()->set_peers_for_root_hash(root);
  r.mutable_announce()->set_max_peers(1000);
  const std::string bytes = SendBytes(r.SerializeAsString(), longest);
  ASSERT_LE(bytes.size(), kMaxReplyBytes);
  v1::TrackerResponse reply;
  ASSERT_TRUE(reply.ParseFromString(bytes));
  ASSERT_TRUE(reply.has_announce()) << reply.DebugString();
  // Each peer takes about 110 bytes: as many as fit, at least a few.
  EXPECT_GE(reply.announce().peers_size(), 8);
  EXPECT_EQ(reply.announce().peers(0).chunk_endpoint().size(), 53u)
      << reply.announce().peers(0).chunk_endpoint();
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

// --- Which endpoint the tracker lists (issue #12): built from the source
// address, never relayed as claimed.

const SourceAddress kSeeder4 = SourceAddress::Ipv4(0x0a09000b, 51000);  // 10.9.0.11

// A peer of the 4-chunk file `root` (seeder), as raw announce fields.
v1::TrackerRequest PeerAnnounce(uint64_t connection_id, uint64_t p, const std::string& root,
                                uint32_t chunk_port, const std::string& claimed_endpoint) {
  v1::TrackerRequest r =
      SwarmAnnounce(connection_id, p, root, 4, "peer" + std::to_string(p), claimed_endpoint);
  r.mutable_announce()->set_chunk_port(chunk_port);
  return r;
}

class EndpointTest : public HandlerTest {
 protected:
  // Announces peer `p` from `from` (connecting first) and returns the
  // endpoint the tracker now lists for it, or the error code.
  std::string ListedEndpoint(const SourceAddress& from, uint64_t p, uint32_t chunk_port,
                             const std::string& claimed, v1::TrackerErrorCode* error = nullptr) {
    const uint64_t id = Connect(from);
    const v1::TrackerResponse reply = Send(PeerAnnounce(id, p, root_, chunk_port, claimed), from);
    if (error != nullptr) *error = reply.error().code();
    if (!reply.has_announce()) return "refused";
    // Asked from the same source, so a loopback peer is listed too.
    v1::TrackerRequest who;
    who.set_connection_id(id);
    who.mutable_get_file_peers()->set_root_hash(root_);
    who.mutable_get_file_peers()->set_max_peers(64);
    const v1::TrackerResponse peers = Send(who, from);
    for (const v1::FilePeer& fp : peers.get_file_peers().peers()) {
      if (fp.peer_id() == p) return fp.chunk_endpoint();
    }
    return "not listed";
  }

  const std::string root_ = std::string(32, 'E');
};

TEST_F(EndpointTest, EndpointIsSourceAddressPlusAnnouncedPort) {
  EXPECT_EQ(ListedEndpoint(kSeeder4, 1, 6881, ""), "tcp://10.9.0.11:6881");
  EXPECT_EQ(ListedEndpoint(Ipv6("2001:db8::11", 51000), 2, 6881, ""), "tcp://[2001:db8::11]:6881");
  // An IPv4 client of a dual-stack socket, should it arrive mapped.
  EXPECT_EQ(ListedEndpoint(Ipv6("::ffff:10.9.0.12", 51000), 3, 7000, ""), "tcp://10.9.0.12:7000");
  // Peers that only download have no endpoint.
  EXPECT_EQ(ListedEndpoint(kSeeder4, 4, 0, ""), "");
  // What a user binds to be reachable (issue #12): the wildcard is replaced.
  EXPECT_EQ(ListedEndpoint(kSeeder4, 5, 0, "tcp://0.0.0.0:37039"), "tcp://10.9.0.11:37039");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 6, 0, "tcp://[::]:37040"), "tcp://10.9.0.11:37040");
}

TEST_F(EndpointTest, ClaimedHostIsIgnoredUnlessTrusted) {
  // A hostile peer names a third party's port: the tracker lists the
  // peer's own address instead, with the port it announced.
  EXPECT_EQ(ListedEndpoint(kSeeder4, 1, 0, "tcp://203.0.113.9:80"), "tcp://10.9.0.11:80");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 2, 6881, "tcp://203.0.113.9:80"), "tcp://10.9.0.11:6881");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 3, 0, "tcp://[2001:db8::99]:80"), "tcp://10.9.0.11:80");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 4, 0, "tcp://victim.example:80"), "tcp://10.9.0.11:80");
  EXPECT_EQ(Rejects(RejectKind::kInvalidArgument), 0u);
}

TEST_F(EndpointTest, TrustedTrackerListsClaimedIpAddresses) {
  handler_.set_endpoint_policy({.trust_claimed_hosts = true});
  EXPECT_EQ(ListedEndpoint(kSeeder4, 1, 0, "tcp://203.0.113.9:7000"), "tcp://203.0.113.9:7000");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 2, 6881, "tcp://[2001:db8::9]:7001"),
            "tcp://[2001:db8::9]:7001");
  // Written canonically, whatever the claim's spelling.
  EXPECT_EQ(ListedEndpoint(kSeeder4, 3, 0, "tcp://[2001:DB8:0::9]:7002"),
            "tcp://[2001:db8::9]:7002");
  // A wildcard or a name is never used as a host, trusted or not.
  EXPECT_EQ(ListedEndpoint(kSeeder4, 4, 0, "tcp://0.0.0.0:7003"), "tcp://10.9.0.11:7003");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 5, 0, "tcp://*:7004"), "tcp://10.9.0.11:7004");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 6, 0, "tcp://victim.example:7005"), "tcp://10.9.0.11:7005");
  // No claim: the source address, as without trust.
  EXPECT_EQ(ListedEndpoint(kSeeder4, 7, 6881, ""), "tcp://10.9.0.11:6881");
}

TEST_F(EndpointTest, OtherSchemesAndBadPortsAreMalformedAndChangeNothing) {
  for (bool trusted : {false, true}) {
    handler_.set_endpoint_policy({.trust_claimed_hosts = trusted});
    uint64_t p = trusted ? 100 : 0;
    for (const char* claim :
         {"ipc:///tmp/x.sock", "inproc://victim", "pgm://eth0;239.192.1.1:5555",
          "epgm://eth0;239.192.1.1:5555", "udp://10.0.0.1:80", "TCP://10.0.0.1:80", "tcp://",
          "tcp://10.0.0.1", "tcp://10.0.0.1:0", "tcp://10.0.0.1:65536", "tcp://10.0.0.1:-1",
          "tcp://10.0.0.1:+80", "tcp://:80", "tcp://[::1:80", "tcp://[]:80", "tcp://a b:80",
          "tcp://a/b:80"}) {
      v1::TrackerErrorCode code{};
      EXPECT_EQ(ListedEndpoint(kSeeder4, ++p, 0, claim, &code), "refused") << claim;
      EXPECT_EQ(code, v1::TRACKER_ERROR_CODE_MALFORMED) << claim;
    }
    v1::TrackerErrorCode code{};
    EXPECT_EQ(ListedEndpoint(kSeeder4, ++p, 65536, "", &code), "refused");
    EXPECT_EQ(code, v1::TRACKER_ERROR_CODE_MALFORMED);
    EXPECT_EQ(ListedEndpoint(kSeeder4, ++p, 0, "tcp://10.0.0.1:1" + std::string(200, '0'), &code),
              "refused");
  }
  EXPECT_EQ(registry_.CountPeers(), 0u);
}

TEST_F(EndpointTest, BothFamiliesAreStoredAndListedTogether) {
  const SourceAddress v6 = Ipv6("2001:db8::12", 52000);
  EXPECT_EQ(ListedEndpoint(kSeeder4, 1, 6881, ""), "tcp://10.9.0.11:6881");
  EXPECT_EQ(ListedEndpoint(v6, 2, 6882, ""), "tcp://[2001:db8::12]:6882");
  // A third peer, on IPv6, is told about both.
  const SourceAddress asker = Ipv6("2001:db8::13", 53000);
  const uint64_t id = Connect(asker);
  v1::TrackerRequest r = PeerAnnounce(id, 3, root_, 6883, "");
  r.mutable_announce()->set_peers_for_root_hash(root_);
  const v1::TrackerResponse reply = Send(r, asker);
  std::set<std::string> endpoints;
  for (const v1::FilePeer& fp : reply.announce().peers()) endpoints.insert(fp.chunk_endpoint());
  EXPECT_EQ(endpoints,
            (std::set<std::string>{"tcp://10.9.0.11:6881", "tcp://[2001:db8::12]:6882"}));
  v1::TrackerRequest list;
  list.set_connection_id(id);
  list.mutable_list_peers();
  endpoints.clear();
  const v1::TrackerResponse listed = Send(list, asker);
  for (const v1::PeerInfo& p : listed.list_peers().peers()) {
    endpoints.insert(p.chunk_endpoint());
  }
  EXPECT_EQ(endpoints, (std::set<std::string>{"tcp://10.9.0.11:6881", "tcp://[2001:db8::12]:6882",
                                              "tcp://[2001:db8::13]:6883"}));
}

TEST_F(EndpointTest, ConnectionIdsAreBoundToIpv6SourcesToo) {
  const SourceAddress v6 = Ipv6("2001:db8::12", 52000);
  const uint64_t id = Connect(v6);
  v1::TrackerRequest r = PeerAnnounce(id, 1, root_, 6881, "");
  // Another IPv6 address, another port, the IPv4 address with the same
  // low bytes: all refused.
  for (const SourceAddress& other :
       {Ipv6("2001:db8::13", 52000), Ipv6("2001:db8::12", 52001), kSeeder4}) {
    EXPECT_EQ(Send(r, other).error().code(), v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID);
  }
  EXPECT_EQ(registry_.CountPeers(), 0u);
  EXPECT_TRUE(Send(r, v6).has_announce());
}

TEST_F(EndpointTest, LoopbackPeersAreListedOnlyToLoopbackClients) {
  // Two peers on the tracker's machine (IPv4 and IPv6 loopback) and one
  // elsewhere.
  EXPECT_EQ(ListedEndpoint(kAlice, 1, 7001, ""), "tcp://127.0.0.1:7001");
  EXPECT_EQ(ListedEndpoint(Ipv6("::1", 40001), 2, 7002, ""), "tcp://[::1]:7002");
  EXPECT_EQ(ListedEndpoint(kSeeder4, 3, 7003, ""), "tcp://10.9.0.11:7003");
  auto listed_to = [&](const SourceAddress& from) {
    v1::TrackerRequest who;
    who.set_connection_id(Connect(from));
    who.mutable_get_file_peers()->set_root_hash(root_);
    std::set<std::string> endpoints;
    const v1::TrackerResponse peers = Send(who, from);
    for (const v1::FilePeer& fp : peers.get_file_peers().peers()) {
      if (fp.peer_id() != 9) endpoints.insert(fp.chunk_endpoint());
    }
    // Peer 9 only downloads: asks in its announce.
    v1::TrackerRequest announce = PeerAnnounce(who.connection_id(), 9, root_, 0, "");
    announce.mutable_announce()->set_peers_for_root_hash(root_);
    std::set<std::string> in_announce;
    const v1::TrackerResponse announced = Send(announce, from);
    for (const v1::FilePeer& fp : announced.announce().peers()) {
      if (fp.peer_id() != 9) in_announce.insert(fp.chunk_endpoint());
    }
    EXPECT_EQ(in_announce, endpoints);
    return endpoints;
  };
  const std::set<std::string> all = {"tcp://127.0.0.1:7001", "tcp://[::1]:7002",
                                     "tcp://10.9.0.11:7003"};
  EXPECT_EQ(listed_to(kAlice), all);
  EXPECT_EQ(listed_to(SourceAddress::Ipv4(0x7f000002, 40009)), all);
  EXPECT_EQ(listed_to(Ipv6("::1", 40009)), all);
  EXPECT_EQ(listed_to(kMallory), (std::set<std::string>{"tcp://10.9.0.11:7003"}));
}

// Counts AnnounceBatch calls of the registry behind it.
class CountingStore final : public SwarmStore {
 public:
  explicit CountingStore(SwarmStore& inner) : inner_(inner) {}
  int batches = 0;
  size_t batched = 0;

  absl::Status Announce(const v1::AnnounceRequest& r, absl::Time now) override {
    return inner_.Announce(r, now);
  }
  void AnnounceBatch(absl::Span<AnnounceCall> calls, absl::Time now) override {
    ++batches;
    batched += calls.size();
    inner_.AnnounceBatch(calls, now);
  }
  absl::Status Leave(uint64_t id, uint64_t key, absl::Time now) override {
    return inner_.Leave(id, key, now);
  }
  absl::Status Rename(uint64_t id, uint64_t key, std::string_view name, absl::Time now) override {
    return inner_.Rename(id, key, name, now);
  }
  absl::Status Evict(uint64_t id, absl::Time now) override { return inner_.Evict(id, now); }
  int ExpireIdle(absl::Time now) override { return inner_.ExpireIdle(now); }
  absl::Status ListPeers(const PageRequest& page, absl::Time now,
                         google::protobuf::RepeatedPtrField<v1::PeerInfo>* out,
                         std::string* next) override {
    return inner_.ListPeers(page, now, out, next);
  }
  absl::Status SearchFiles(std::string_view query, const PageRequest& page, absl::Time now,
                           google::protobuf::RepeatedPtrField<v1::FileSummary>* out,
                           std::string* next) override {
    return inner_.SearchFiles(query, page, now, out, next);
  }
  absl::Status GetFilePeers(std::string_view root, uint32_t max_peers, uint64_t exclude,
                            size_t max_bytes, absl::Time now,
                            v1::GetFilePeersResponse* out) override {
    return inner_.GetFilePeers(root, max_peers, exclude, max_bytes, now, out);
  }
  size_t CountPeers() const override { return inner_.CountPeers(); }
  size_t CountFiles() const override { return inner_.CountFiles(); }
  uint64_t CountHoldings() const override { return inner_.CountHoldings(); }
  absl::Duration announce_interval() const override { return inner_.announce_interval(); }

 private:
  SwarmStore& inner_;
};

// A received batch's announces reach the store in one AnnounceBatch call
// (one Redis round trip for a Redis store); every datagram still gets its
// own reply, in its own slot, as Handle would give it.
TEST_F(HandlerTest, ABatchsAnnouncesReachTheStoreTogether) {
  CountingStore store(registry_);
  RequestHandler handler(store, *minter_, clock_.Now());
  const uint64_t id = Connect();
  std::vector<std::string> in;
  for (uint64_t peer = 1; peer <= 3; ++peer) {
    v1::TrackerRequest r = AnnounceWith(id);
    r.set_transaction_id(static_cast<uint32_t>(100 + peer));
    r.mutable_announce()->set_peer_id(peer);
    r.mutable_announce()->set_username("user" + std::to_string(peer));
    v1::FileAvailability* f = r.mutable_announce()->add_files();
    f->set_name("f");
    f->set_size_bytes(1 << 20);
    f->set_chunk_size_bytes(1 << 18);
    f->set_root_hash(std::string(32, 'r'));
    f->set_chunks_have(4);
    r.mutable_announce()->set_peers_for_root_hash(std::string(32, 'r'));
    in.push_back(r.SerializeAsString());
  }
  v1::TrackerRequest stats;
  stats.set_connection_id(id);
  stats.set_transaction_id(200);
  stats.mutable_get_stats();
  in.push_back(stats.SerializeAsString());
  in.push_back("garbage that is no request");
  v1::TrackerRequest forged = AnnounceWith(id + 1);
  forged.set_transaction_id(201);
  in.push_back(forged.SerializeAsString());

  std::vector<std::array<uint8_t, kMaxReplyBytes>> out(in.size());
  std::vector<RequestHandler::BatchItem> batch(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    batch[i].datagram =
        absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(in[i].data()), in[i].size());
    batch[i].from = kAlice;
    batch[i].out = absl::MakeSpan(out[i]);
  }
  handler.HandleBatch(absl::MakeSpan(batch), clock_.Now());
  EXPECT_EQ(store.batches, 1);
  EXPECT_EQ(store.batched, 3u);
  std::vector<v1::TrackerResponse> replies(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_GT(batch[i].reply_bytes, 0u) << i;
    ASSERT_TRUE(replies[i].ParseFromArray(out[i].data(), static_cast<int>(batch[i].reply_bytes)));
  }
  for (uint64_t peer = 1; peer <= 3; ++peer) {
    const v1::TrackerResponse& r = replies[peer - 1];
    EXPECT_EQ(r.transaction_id(), 100 + peer);
    ASSERT_TRUE(r.has_announce()) << r.DebugString();
    // Each lists the peers announced before it in the batch.
    EXPECT_EQ(r.announce().peers_size(), static_cast<int>(peer - 1));
  }
  EXPECT_TRUE(replies[3].has_get_stats());
  EXPECT_EQ(replies[4].error().code(), v1::TRACKER_ERROR_CODE_MALFORMED);
  EXPECT_EQ(replies[5].error().code(), v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID);
  EXPECT_EQ(registry_.CountPeers(), 3u);
}

}  // namespace
}  // namespace pytorrent::tracker
