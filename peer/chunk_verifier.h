#ifndef PYTORRENT_PEER_CHUNK_VERIFIER_H_
#define PYTORRENT_PEER_CHUNK_VERIFIER_H_

// A small worker pool that takes chunk verification and storage off the
// loop thread: each job's bytes are SHA-256-checked against the manifest's
// digest and, if they match, written with one positioned write. Results come
// back in completion order; the loop learns of them through `wake_socket()`
// (an inproc PULL it polls beside the peer sockets) and collects them with
// TakeResults(). A worker takes every queued job at once (up to a few) and
// digests them in one multi-buffer pass (peer/chunk_digest.h). Each worker
// owns its hashing state and its own inproc PUSH socket, so no ZeroMQ socket
// is shared between threads.
//
// Memory: jobs hold the received ZeroMQ frames, and the download submits
// only chunks it requested, so the queue is bounded by the credit windows.
//
// Example:
//   ChunkVerifier pool(context, file->fd(), /*workers=*/2);
//   pool.Submit({.tag = peer, .chunk = 7, .offset = off, .expected = digest,
//                .data = std::move(frame)});
//   // loop: poll pool.wake_socket(); on POLLIN:
//   for (ChunkVerifier::Result& r : pool.TakeResults()) Handle(r);
//
// Submit/TakeResults/wake_socket: loop thread only. The descriptor must
// outlive the pool; the destructor drops queued jobs and joins the workers.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/sha256.h"
#include "zmq.hpp"

namespace pytorrent::peer {

class ChunkVerifier {
 public:
  struct Job {
    // Opaque to the pool (the download passes the sender's session handle).
    uint32_t tag = 0;
    uint32_t chunk = 0;
    // Byte offset of the chunk in the file.
    uint64_t offset = 0;
    Sha256Digest expected{};
    // The chunk's bytes (the received frame, not copied).
    zmq::message_t data;
  };
  struct Result {
    uint32_t tag = 0;
    uint32_t chunk = 0;
    uint64_t offset = 0;
    // OK: verified and written. DATA_LOSS: digest mismatch (nothing written).
    // Anything else: the write failed.
    absl::Status status;
    // The job's bytes, handed back so verified data can feed the whole-file
    // hash while it is still in memory.
    zmq::message_t data;
  };

  // Starts `workers` (>= 1) threads. INTERNAL errors from ZeroMQ at
  // construction are fatal to the download, reported by ok().
  ChunkVerifier(zmq::context_t& context, int fd, int workers);
  ~ChunkVerifier();
  ChunkVerifier(const ChunkVerifier&) = delete;
  ChunkVerifier& operator=(const ChunkVerifier&) = delete;

  void Submit(Job job);
  // Every finished job so far (also drains the wake socket).
  std::vector<Result> TakeResults();
  // Readable when results are waiting.
  zmq::socket_t& wake_socket() { return wake_; }
  // Jobs submitted and not yet taken back.
  size_t pending() const { return pending_; }

 private:
  void Run(zmq::context_t& context);

  const int fd_;
  std::string endpoint_;
  zmq::socket_t wake_;
  size_t pending_ = 0;  // loop thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<Result> results_;
  bool wake_sent_ = false;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_CHUNK_VERIFIER_H_
