// Round trips of the v1 schemas: what one side serializes the other reads
// back field for field, and the oneof envelopes keep their kind.
#include <string>

#include "gtest/gtest.h"
#include "proto/admin.pb.h"
#include "proto/tracker.pb.h"
#include "proto/wire.pb.h"

namespace pytorrent::v1 {
namespace {

TEST(ProtoRoundTripTest, AnnounceRequestKeepsEveryField) {
  TrackerRequest request;
  request.set_connection_id(0x1122334455667788ULL);
  request.set_transaction_id(42);
  AnnounceRequest* announce = request.mutable_announce();
  announce->set_peer_id(7);
  announce->set_peer_key(9);
  announce->set_username("alice");
  announce->set_chunk_endpoint("tcp://127.0.0.1:6881");
  FileAvailability* file = announce->add_files();
  file->set_name("song.mp3");
  file->set_size_bytes(5'000'000);
  file->set_chunk_size_bytes(256 * 1024);
  file->set_root_hash(std::string(32, '\xab'));
  file->set_chunks_have(20);

  TrackerRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(request.SerializeAsString()));
  EXPECT_EQ(decoded.body_case(), TrackerRequest::kAnnounce);
  EXPECT_EQ(decoded.connection_id(), 0x1122334455667788ULL);
  EXPECT_EQ(decoded.announce().username(), "alice");
  ASSERT_EQ(decoded.announce().files_size(), 1);
  EXPECT_EQ(decoded.announce().files(0).root_hash(), std::string(32, '\xab'));
  EXPECT_EQ(decoded.announce().files(0).chunks_have(), 20u);
}

TEST(ProtoRoundTripTest, ConnectReplyIsNoLargerThanPaddedConnectRequest) {
  TrackerRequest request;
  request.set_transaction_id(0xffffffffu);
  request.mutable_connect()->set_protocol_magic(0x41727101980ULL);
  request.mutable_connect()->set_padding(std::string(16, '\0'));

  TrackerResponse reply;
  reply.set_transaction_id(0xffffffffu);
  reply.mutable_connect()->set_connection_id(0xffffffffffffffffULL);
  reply.mutable_connect()->set_lifetime_seconds(120);
  EXPECT_LE(reply.ByteSizeLong(), request.ByteSizeLong());
}

TEST(ProtoRoundTripTest, ErrorReplyCarriesCodeAndMessage) {
  TrackerResponse reply;
  reply.set_transaction_id(5);
  reply.mutable_error()->set_code(TRACKER_ERROR_CODE_USERNAME_TAKEN);
  reply.mutable_error()->set_message("username 'bob' is taken");
  TrackerResponse decoded;
  ASSERT_TRUE(decoded.ParseFromString(reply.SerializeAsString()));
  EXPECT_EQ(decoded.body_case(), TrackerResponse::kError);
  EXPECT_EQ(decoded.error().code(), TRACKER_ERROR_CODE_USERNAME_TAKEN);
}

TEST(ProtoRoundTripTest, ChunkHeaderIsSmallAndKeepsIndex) {
  PeerMessage header;
  header.mutable_chunk()->set_root_hash(std::string(32, '\x01'));
  header.mutable_chunk()->set_chunk_index(4095);
  header.mutable_chunk()->set_size_bytes(256 * 1024);
  std::string bytes = header.SerializeAsString();
  // The chunk's bytes travel in their own frame, so the header stays tiny.
  EXPECT_LT(bytes.size(), 64u);
  PeerMessage decoded;
  ASSERT_TRUE(decoded.ParseFromString(bytes));
  EXPECT_EQ(decoded.chunk().chunk_index(), 4095u);
}

TEST(ProtoRoundTripTest, GarbageDoesNotParseAsEnvelopeWithBody) {
  const std::string garbage = "\xff\xff\xff\xff\xff\xff\xff";
  TrackerRequest decoded;
  EXPECT_FALSE(decoded.ParseFromString(garbage) &&
               decoded.body_case() != TrackerRequest::BODY_NOT_SET);
}

TEST(ProtoRoundTripTest, DownloadProgressRoundTrips) {
  DownloadProgress progress;
  progress.set_download_id(3);
  progress.set_state(DOWNLOAD_STATE_DOWNLOADING);
  progress.set_bytes_done(1024);
  PeerContribution* peer = progress.add_peers();
  peer->set_username("carol");
  peer->set_banned(true);
  DownloadProgress decoded;
  ASSERT_TRUE(decoded.ParseFromString(progress.SerializeAsString()));
  EXPECT_EQ(decoded.state(), DOWNLOAD_STATE_DOWNLOADING);
  EXPECT_TRUE(decoded.peers(0).banned());
}

}  // namespace
}  // namespace pytorrent::v1
