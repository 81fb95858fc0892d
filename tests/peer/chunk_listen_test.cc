#include "peer/chunk_listen.h"

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

TEST(ChunkListenTest, OnlyTheDefaultFallsBackToAnyPort) {
  EXPECT_EQ(FallbackChunkListen(kDefaultChunkListen), "tcp://*:0");
  // A port set by hand is what the user wants: no silent change.
  EXPECT_EQ(FallbackChunkListen("tcp://*:7000"), "");
  EXPECT_EQ(FallbackChunkListen("tcp://127.0.0.1:6881"), "");
  EXPECT_EQ(FallbackChunkListen("ipc:///tmp/x"), "");
}

TEST(ChunkListenTest, WildcardsAnnounceOnlyTheirPort) {
  for (const char* bound : {"tcp://0.0.0.0:6881", "tcp://[::]:6881", "tcp://*:6881"}) {
    const AnnouncedChunkAddress a = ForAnnounce(bound);
    EXPECT_EQ(a.chunk_port, 6881u) << bound;
    EXPECT_EQ(a.claimed_endpoint, "") << bound;
  }
}

TEST(ChunkListenTest, SpecificHostsAreAlsoClaimed) {
  for (const char* bound :
       {"tcp://10.9.0.11:40123", "tcp://[2001:db8::11]:40123", "tcp://127.0.0.1:40123"}) {
    const AnnouncedChunkAddress a = ForAnnounce(bound);
    EXPECT_EQ(a.chunk_port, 40123u) << bound;
    EXPECT_EQ(a.claimed_endpoint, bound);
  }
}

TEST(ChunkListenTest, NonTcpOrPortlessEndpointsAnnounceNothing) {
  for (const char* bound : {"ipc:///tmp/chunks.sock", "inproc://x", "tcp://host", "tcp://h:0",
                            "tcp://h:70000", "tcp://h:12a", "", "tcp://:5"}) {
    const AnnouncedChunkAddress a = ForAnnounce(bound);
    EXPECT_EQ(a.chunk_port, 0u) << bound;
    EXPECT_EQ(a.claimed_endpoint, "") << bound;
  }
}

}  // namespace
}  // namespace pytorrent::peer
