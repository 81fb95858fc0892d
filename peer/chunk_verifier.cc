#include "peer/chunk_verifier.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "peer/chunk_digest.h"

namespace pytorrent::peer {
namespace {

std::atomic<uint64_t> next_endpoint{0};

// Jobs one worker takes in one go: 8 default chunks are 2 MiB, 128 blocks.
constexpr size_t kMaxBatchJobs = 8;

absl::Status WriteAll(int fd, uint64_t offset, const uint8_t* data, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pwrite(fd, data + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (errno == ENOSPC) return absl::ResourceExhaustedError("disk full writing a chunk");
      return absl::InternalError(absl::StrCat("writing a chunk: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

ChunkVerifier::ChunkVerifier(zmq::context_t& context, int fd, int workers)
    : fd_(fd),
      endpoint_(absl::StrCat("inproc://pt-chunk-verifier-", next_endpoint.fetch_add(1))),
      wake_(context, zmq::socket_type::pull) {
  wake_.set(zmq::sockopt::linger, 0);
  wake_.bind(endpoint_);
  for (int i = 0; i < std::max(1, workers); ++i) {
    workers_.emplace_back([this, &context] { Run(context); });
  }
}

ChunkVerifier::~ChunkVerifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ChunkVerifier::Submit(Job job) {
  ++pending_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

std::vector<ChunkVerifier::Result> ChunkVerifier::TakeResults() {
  zmq::message_t token;
  try {
    while (wake_.recv(token, zmq::recv_flags::dontwait)) {
    }
  } catch (const zmq::error_t&) {
  }
  std::vector<Result> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(results_);
    wake_sent_ = false;
  }
  pending_ -= std::min(pending_, out.size());
  return out;
}

void ChunkVerifier::Run(zmq::context_t& context) {
  // This thread's own socket: ZeroMQ sockets are never shared.
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect(endpoint_);
  ChunkDigester digester;  // this worker's own hashing state
  std::vector<Job> batch;
  std::vector<absl::Span<const uint8_t>> spans;
  std::vector<Sha256Digest> digests;
  std::vector<Result> done;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    // Take what is queued (up to kMaxBatchJobs): one multi-buffer pass over
    // all of it, one lock round trip and one wake-up for the loop.
    batch.clear();
    while (!jobs_.empty() && batch.size() < kMaxBatchJobs) {
      batch.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    lock.unlock();
    spans.clear();
    for (const Job& job : batch) {
      spans.emplace_back(static_cast<const uint8_t*>(job.data.data()), job.data.size());
    }
    digests.resize(batch.size());
    digester.DigestChunks(spans, absl::MakeSpan(digests));
    done.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      Job& job = batch[i];
      Result result;
      result.tag = job.tag;
      result.chunk = job.chunk;
      result.offset = job.offset;
      if (digests[i] != job.expected) {
        result.status = absl::DataLossError("chunk failed its SHA-256 check");
      } else {
        result.status = WriteAll(fd_, job.offset, spans[i].data(), spans[i].size());
      }
      result.data = std::move(job.data);
      done.push_back(std::move(result));
    }
    lock.lock();
    for (Result& r : done) results_.push_back(std::move(r));
    bool wake = !wake_sent_;
    wake_sent_ = true;
    if (wake) {
      // The loop drains every token and then the whole result list, so one
      // token per batch is enough; a full pipe (impossible at one token) is
      // harmless for the same reason.
      try {
        push.send(zmq::str_buffer("w"), zmq::send_flags::dontwait);
      } catch (const zmq::error_t&) {
      }
    }
  }
}

}  // namespace pytorrent::peer
