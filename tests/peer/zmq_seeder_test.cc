// ZmqSeeder in-process over real loopback TCP, with the test playing the
// node's loop: it decides when requests are read (OnReadable) and when the
// reader's finished chunks are sent (OnReadsDone), so credit limits and
// read failures are exercised deterministically.
#include "peer/transfer/zmq_seeder.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "peer/content/manifest.h"
#include "peer/file_book.h"
#include "peer/transfer/wire_codec.h"

namespace pytorrent::peer {
namespace {

constexpr uint32_t kChunk = 16 * 1024;

class ZmqSeederTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::string(getenv("TEST_TMPDIR")) + "/served-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".bin";
    std::mt19937_64 rng(7);
    content_.resize(64 * kChunk);
    for (char& c : content_) c = static_cast<char>(rng());
    std::ofstream(path_, std::ios::binary) << content_;
    absl::StatusOr<Manifest> manifest = BuildManifest(path_, "served.bin", kChunk);
    ASSERT_TRUE(manifest.ok()) << manifest.status();
    root_ = manifest->root;
    catalog_.AddSharedPath(path_, std::make_shared<const Manifest>(*std::move(manifest)));
    // Most tests drive the reader threads: no inline page-cache reads.
    SeederOptions options;
    options.read_cached_inline = InlineReads();
    auto seeder = ZmqSeeder::Bind(context_, "tcp://127.0.0.1:0", catalog_, options);
    ASSERT_TRUE(seeder.ok()) << seeder.status();
    seeder_ = *std::move(seeder);
    client_.set(zmq::sockopt::linger, 0);
    client_.connect(seeder_->endpoint());
  }

  virtual bool InlineReads() const { return false; }

  void Request(uint32_t chunk) {
    v1::PeerMessage m;
    m.mutable_chunk_request()->set_root_hash(DigestToBytes(root_));
    m.mutable_chunk_request()->set_chunk_index(chunk);
    std::string bytes = m.SerializeAsString();
    client_.send(zmq::buffer(bytes));
  }

  // Plays the loop's reading side until `requests` requests were taken off
  // the socket (each either became a read or was answered with a Reject).
  void PumpRequests(size_t requests) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (seeder_->reads_in_flight() + seeder_->counters().rejects_sent < requests &&
           absl::Now() < deadline) {
      zmq::pollitem_t item{seeder_->socket().handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (item.revents & ZMQ_POLLIN) seeder_->OnReadable(absl::Now());
    }
  }

  // Replies at the client, bounded by a deadline, while the test keeps
  // sending what the reader finishes.
  struct Reply {
    v1::PeerMessage header;
    std::string body;
  };
  std::vector<Reply> Collect(size_t count, bool send_reads) {
    std::vector<Reply> out;
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (out.size() < count && absl::Now() < deadline) {
      zmq::pollitem_t items[] = {{client_.handle(), 0, ZMQ_POLLIN, 0},
                                 {seeder_->reads_done_socket().handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 2, std::chrono::milliseconds(50));
      if (send_reads && (items[1].revents & ZMQ_POLLIN)) seeder_->OnReadsDone();
      zmq::message_t frame;
      while (client_.recv(frame, zmq::recv_flags::dontwait)) {
        Reply r;
        EXPECT_TRUE(ParsePeerMessage(frame.data(), frame.size(), kMaxHeaderBytes, r.header).ok());
        if (frame.more()) {
          zmq::message_t body;
          EXPECT_TRUE(client_.recv(body, zmq::recv_flags::none));
          r.body = body.to_string();
        }
        out.push_back(std::move(r));
      }
    }
    return out;
  }

  zmq::context_t context_;
  zmq::socket_t client_{context_, zmq::socket_type::dealer};
  std::string path_;
  std::string content_;
  Sha256Digest root_{};
  FileBook catalog_;
  std::unique_ptr<ZmqSeeder> seeder_;
};

TEST_F(ZmqSeederTest, ServesChunksReadOffTheLoopThread) {
  for (uint32_t c = 0; c < 10; ++c) Request(c);
  PumpRequests(10);
  std::vector<Reply> replies = Collect(10, /*send_reads=*/true);
  ASSERT_EQ(replies.size(), 10u);
  for (const Reply& r : replies) {
    ASSERT_TRUE(r.header.has_chunk()) << r.header.DebugString();
    uint32_t c = r.header.chunk().chunk_index();
    EXPECT_EQ(r.header.chunk().size_bytes(), kChunk);
    EXPECT_EQ(r.body, content_.substr(c * kChunk, kChunk)) << c;
  }
  EXPECT_EQ(seeder_->counters().chunks_served, 10u);
  EXPECT_EQ(seeder_->reads_in_flight(), 0u);
}

// A peer with max_queued_per_peer (64) reads in progress gets NO_CREDIT for
// more, one answer per request; sending the finished reads frees the credit.
TEST_F(ZmqSeederTest, RequestsBeyondThePerPeerLimitGetNoCredit) {
  for (uint32_t i = 0; i < 100; ++i) Request(i % 64);
  PumpRequests(100);
  EXPECT_EQ(seeder_->reads_in_flight(), 64u);
  EXPECT_EQ(seeder_->counters().rejects_sent, 36u);
  std::vector<Reply> rejects = Collect(36, /*send_reads=*/false);
  ASSERT_EQ(rejects.size(), 36u);
  for (const Reply& r : rejects) {
    ASSERT_TRUE(r.header.has_reject());
    EXPECT_EQ(r.header.reject().reason(), v1::REJECT_REASON_NO_CREDIT);
    EXPECT_EQ(r.header.reject().root_hash(), DigestToBytes(root_));
  }
  std::vector<Reply> chunks = Collect(64, /*send_reads=*/true);
  ASSERT_EQ(chunks.size(), 64u);
  for (const Reply& r : chunks) {
    ASSERT_TRUE(r.header.has_chunk());
    uint32_t c = r.header.chunk().chunk_index();
    EXPECT_EQ(r.body, content_.substr(c * kChunk, kChunk)) << c;
  }
  EXPECT_EQ(seeder_->reads_in_flight(), 0u);
  Request(3);
  PumpRequests(36 + 1);
  std::vector<Reply> again = Collect(1, /*send_reads=*/true);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].header.has_chunk());
}

// The file shrinks under the seeder: the failed read is answered with
// REJECT_REASON_INTERNAL for that chunk, and the rest is still served.
TEST_F(ZmqSeederTest, FailedReadIsRejectedAndServingGoesOn) {
  ASSERT_EQ(::truncate(path_.c_str(), 32 * kChunk), 0);
  Request(60);
  PumpRequests(1);
  std::vector<Reply> failed = Collect(1, /*send_reads=*/true);
  ASSERT_EQ(failed.size(), 1u);
  ASSERT_TRUE(failed[0].header.has_reject()) << failed[0].header.DebugString();
  EXPECT_EQ(failed[0].header.reject().reason(), v1::REJECT_REASON_INTERNAL);
  EXPECT_EQ(failed[0].header.reject().chunk_index(), 60u);
  Request(1);
  PumpRequests(2);
  std::vector<Reply> served = Collect(1, /*send_reads=*/true);
  ASSERT_EQ(served.size(), 1u);
  ASSERT_TRUE(served[0].header.has_chunk());
  EXPECT_EQ(served[0].body, content_.substr(kChunk, kChunk));
}

class ZmqSeederInlineTest : public ZmqSeederTest {
 protected:
  bool InlineReads() const override { return true; }
};

// Chunks in the page cache are sent straight from OnReadable: nothing goes
// through the reader threads (OnReadsDone is never called here).
TEST_F(ZmqSeederInlineTest, CachedChunksAreSentWithoutTheReaderThreads) {
  {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    std::string probe(kChunk, '\0');
    struct iovec iov = {probe.data(), probe.size()};
    ssize_t n = ::preadv2(fd, &iov, 1, 0, RWF_NOWAIT);
    ::close(fd);
    if (n != static_cast<ssize_t>(kChunk)) {
      GTEST_SKIP() << "this file system does not serve RWF_NOWAIT reads from its cache";
    }
  }
  for (uint32_t c = 0; c < 10; ++c) Request(c);
  std::vector<Reply> replies;
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (replies.size() < 10 && absl::Now() < deadline) {
    zmq::pollitem_t item{seeder_->socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
    if (item.revents & ZMQ_POLLIN) seeder_->OnReadable(absl::Now());
    EXPECT_EQ(seeder_->reads_in_flight(), 0u);
    for (Reply& r : Collect(1, /*send_reads=*/false)) replies.push_back(std::move(r));
  }
  ASSERT_EQ(replies.size(), 10u);
  for (const Reply& r : replies) {
    ASSERT_TRUE(r.header.has_chunk());
    uint32_t c = r.header.chunk().chunk_index();
    EXPECT_EQ(r.body, content_.substr(c * kChunk, kChunk)) << c;
  }
}

}  // namespace
}  // namespace pytorrent::peer
