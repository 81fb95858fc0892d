#include "peer/storage/chunk_verifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

zmq::message_t Frame(const std::string& bytes) {
  return zmq::message_t(bytes.data(), bytes.size());
}

// Polls the wake socket (bounded by a deadline) until `count` results are in.
std::map<uint32_t, ChunkVerifier::Result> Collect(ChunkVerifier& pool, size_t count) {
  std::map<uint32_t, ChunkVerifier::Result> out;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (out.size() < count && absl::Now() < deadline) {
    zmq::pollitem_t item{pool.wake_socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    for (ChunkVerifier::Result& r : pool.TakeResults()) out[r.chunk] = std::move(r);
  }
  return out;
}

TEST(ChunkVerifierTest, WritesGoodChunksRejectsBadOnesAndWakesTheLoop) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/verify.bin";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 3 * 1024), 0);
  zmq::context_t context;
  std::string good(1024, 'g'), other(1024, 'o');
  {
    ChunkVerifier pool(context, fd, /*workers=*/2);
    pool.Submit(
        {.tag = 5, .chunk = 0, .offset = 0, .expected = Sha256::Of(good), .data = Frame(good)});
    // Bytes that do not match their digest: DATA_LOSS, nothing written.
    pool.Submit(
        {.tag = 6, .chunk = 1, .offset = 1024, .expected = Sha256::Of(good), .data = Frame(other)});
    pool.Submit({.tag = 7,
                 .chunk = 2,
                 .offset = 2048,
                 .expected = Sha256::Of(other),
                 .data = Frame(other)});
    EXPECT_EQ(pool.pending(), 3u);
    std::map<uint32_t, ChunkVerifier::Result> results = Collect(pool, 3);
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(pool.pending(), 0u);
    EXPECT_TRUE(results[0].status.ok());
    EXPECT_EQ(results[0].tag, 5u);
    EXPECT_EQ(results[1].status.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(results[1].tag, 6u);
    EXPECT_TRUE(results[2].status.ok());
    // The bytes come back for the whole-file hash.
    EXPECT_EQ(results[2].data.to_string(), other);
  }
  std::string disk(3 * 1024, '?');
  ASSERT_EQ(::pread(fd, disk.data(), disk.size(), 0), static_cast<ssize_t>(disk.size()));
  EXPECT_EQ(disk.substr(0, 1024), good);
  EXPECT_EQ(disk.substr(1024, 1024), std::string(1024, '\0'));
  EXPECT_EQ(disk.substr(2048, 1024), other);
  ::close(fd);
}

TEST(ChunkVerifierTest, FailedWriteIsReported) {
  zmq::context_t context;
  std::string good(512, 'g');
  ChunkVerifier pool(context, /*fd=*/-1, /*workers=*/1);
  pool.Submit(
      {.tag = 1, .chunk = 0, .offset = 0, .expected = Sha256::Of(good), .data = Frame(good)});
  std::map<uint32_t, ChunkVerifier::Result> results = Collect(pool, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status.code(), absl::StatusCode::kInternal);
}

TEST(ChunkVerifierTest, DestructorDropsQueuedJobs) {
  zmq::context_t context;
  std::string bytes(1 << 20, 'z');
  ChunkVerifier pool(context, /*fd=*/-1, /*workers=*/1);
  for (uint32_t i = 0; i < 64; ++i) {
    pool.Submit({.chunk = i, .expected = Sha256::Of(bytes), .data = Frame(bytes)});
  }
  // Leaving scope must neither hang nor leak (asan) with work still queued.
}

}  // namespace
}  // namespace pytorrent::peer
