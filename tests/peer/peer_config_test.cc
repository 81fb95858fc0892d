#include "peer/peer_config.h"

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

TEST(PeerConfigTest, EmptyTextGivesDefaults) {
  absl::StatusOr<PeerConfig> c = ParsePeerConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tracker_port, 6969);
  EXPECT_EQ(c->chunk_size_kib, 256u);
  EXPECT_TRUE(c->reseed);
}

TEST(PeerConfigTest, ParsesEveryKey) {
  absl::StatusOr<PeerConfig> c = ParsePeerConfig(
      "tracker_host=10.0.0.1\ntracker_port=7000\nusername=alice\n"
      "chunk_listen=tcp://0.0.0.0:6881\nchunk_size_kib=1024\nannounce_interval_s=5\n"
      "reseed=false\nadmin_socket=/tmp/a.sock\nunknown_key=whatever\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tracker_host, "10.0.0.1");
  EXPECT_EQ(c->tracker_port, 7000);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->chunk_listen, "tcp://0.0.0.0:6881");
  EXPECT_EQ(c->chunk_size_kib, 1024u);
  EXPECT_EQ(c->announce_interval_s, 5u);
  EXPECT_FALSE(c->reseed);
  EXPECT_EQ(c->admin_socket, "/tmp/a.sock");
}

TEST(PeerConfigTest, BadValuesNameTheKey) {
  struct Case {
    const char* text;
    const char* key;
  } cases[] = {{"tracker_port=0", "tracker_port"},
               {"tracker_port=70000", "tracker_port"},
               {"tracker_port=abc", "tracker_port"},
               {"chunk_size_kib=100", "chunk_size_kib"},
               {"chunk_size_kib=8", "chunk_size_kib"},
               {"username=bad name!", "username"},
               {"reseed=maybe", "reseed"},
               {"chunk_listen=http://x", "chunk_listen"},
               {"announce_interval_s=-1", "announce_interval_s"}};
  for (const Case& c : cases) {
    absl::StatusOr<PeerConfig> r = ParsePeerConfig(c.text);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.key), std::string::npos) << r.status();
  }
}

TEST(PeerConfigTest, GarbageIsRejected) {
  EXPECT_EQ(ParsePeerConfig("this is not key value\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PeerConfigTest, FormatRoundTrips) {
  PeerConfig c;
  c.username = "bob";
  c.tracker_port = 1234;
  c.reseed = false;
  c.chunk_size_kib = 64;
  absl::StatusOr<PeerConfig> back = ParsePeerConfig(FormatPeerConfig(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->username, "bob");
  EXPECT_EQ(back->tracker_port, 1234);
  EXPECT_FALSE(back->reseed);
  EXPECT_EQ(back->chunk_size_kib, 64u);
}

}  // namespace
}  // namespace pytorrent::peer
