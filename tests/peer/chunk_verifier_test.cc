#include "peer/storage/chunk_verifier.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

ChunkBytes Bytes(const std::string& s) {
  return ChunkBytes::Copy(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// Collects what the pool delivers (on its worker threads).
class Results {
 public:
  ChunkVerifier::Deliver Sink() {
    return [this](std::vector<ChunkVerifier::Result> results) {
      std::lock_guard<std::mutex> lock(mu_);
      ++batches_;
      for (ChunkVerifier::Result& r : results) by_chunk_[r.chunk] = std::move(r);
      cv_.notify_all();
    };
  }
  // Waits (bounded) until `count` results are in.
  std::map<uint32_t, ChunkVerifier::Result> Await(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return by_chunk_.size() >= count; });
    return std::move(by_chunk_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint32_t, ChunkVerifier::Result> by_chunk_;
  int batches_ = 0;
};

std::string AsString(const ChunkBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data), b.size);
}

TEST(ChunkVerifierTest, WritesGoodChunksRejectsBadOnesAndDeliversEveryResult) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/verify.bin";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 3 * 1024), 0);
  std::string good(1024, 'g'), other(1024, 'o');
  Results results;
  std::map<uint32_t, ChunkVerifier::Result> got;
  {
    ChunkVerifier pool(fd, /*workers=*/2, results.Sink());
    pool.Submit(
        {.tag = 5, .chunk = 0, .offset = 0, .expected = Sha256::Of(good), .data = Bytes(good)});
    // Bytes that do not match their digest: DATA_LOSS, nothing written.
    pool.Submit(
        {.tag = 6, .chunk = 1, .offset = 1024, .expected = Sha256::Of(good), .data = Bytes(other)});
    pool.Submit({.tag = 7,
                 .chunk = 2,
                 .offset = 2048,
                 .expected = Sha256::Of(other),
                 .data = Bytes(other)});
    got = results.Await(3);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].status.ok());
  EXPECT_EQ(got[0].tag, 5u);
  EXPECT_EQ(got[1].status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(got[1].tag, 6u);
  EXPECT_TRUE(got[2].status.ok());
  // The bytes come back for the whole-file hash.
  EXPECT_EQ(AsString(got[2].data), other);
  std::string disk(3 * 1024, '?');
  ASSERT_EQ(::pread(fd, disk.data(), disk.size(), 0), static_cast<ssize_t>(disk.size()));
  EXPECT_EQ(disk.substr(0, 1024), good);
  EXPECT_EQ(disk.substr(1024, 1024), std::string(1024, '\0'));
  EXPECT_EQ(disk.substr(2048, 1024), other);
  ::close(fd);
}

TEST(ChunkVerifierTest, FailedWriteIsReported) {
  std::string good(512, 'g');
  Results results;
  ChunkVerifier pool(/*fd=*/-1, /*workers=*/1, results.Sink());
  pool.Submit(
      {.tag = 1, .chunk = 0, .offset = 0, .expected = Sha256::Of(good), .data = Bytes(good)});
  std::map<uint32_t, ChunkVerifier::Result> got = results.Await(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status.code(), absl::StatusCode::kInternal);
}

// A write the process may not make (past RLIMIT_FSIZE, like a full disk or
// a quota) is RESOURCE_EXHAUSTED, the code the node retries for space; it
// was INTERNAL.
TEST(ChunkVerifierTest, WritePastTheFileSizeLimitIsResourceExhausted) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/fsize.bin";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::string good(1024, 'g');
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit limited = saved;
  limited.rlim_cur = 4096;
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::map<uint32_t, ChunkVerifier::Result> got;
  {
    Results results;
    ChunkVerifier pool(fd, /*workers=*/1, results.Sink());
    pool.Submit(
        {.tag = 1, .chunk = 8, .offset = 8192, .expected = Sha256::Of(good), .data = Bytes(good)});
    got = results.Await(1);
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, old_handler);
  ::close(fd);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[8].status.code(), absl::StatusCode::kResourceExhausted) << got[8].status;
}

TEST(ChunkVerifierTest, DestructorDropsQueuedJobs) {
  std::string bytes(1 << 20, 'z');
  Results results;
  ChunkVerifier pool(/*fd=*/-1, /*workers=*/1, results.Sink());
  for (uint32_t i = 0; i < 64; ++i) {
    pool.Submit({.chunk = i, .expected = Sha256::Of(bytes), .data = Bytes(bytes)});
  }
  // Leaving scope must neither hang nor leak (asan) with work still queued.
}

}  // namespace
}  // namespace pytorrent::peer
