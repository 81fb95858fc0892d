#ifndef PYTORRENT_PEER_STORAGE_CHUNK_VERIFIER_H_
#define PYTORRENT_PEER_STORAGE_CHUNK_VERIFIER_H_

// A small worker pool (peer/loop_worker_pool.h) that takes chunk
// verification and storage off the loop thread: each job's bytes are checked
// against the manifest's digest and, if they match, written with one
// positioned write. A worker takes every queued job at once (up to 8) and
// digests them in one multi-buffer pass with its own ChunkDigester
// (peer/chunk_digest.h). Results come back in completion order through the
// pool's wake socket.
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
// outlive the pool; destruction drops queued jobs and joins the workers.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "common/sha256.h"
#include "peer/transfer/loop_worker_pool.h"
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

  // Starts `workers` (>= 1) threads.
  ChunkVerifier(zmq::context_t& context, int fd, int workers);

  void Submit(Job job) { pool_.Submit(std::move(job)); }
  // Every finished job so far (also drains the wake socket).
  std::vector<Result> TakeResults() { return pool_.TakeResults(); }
  // Readable when results are waiting.
  zmq::socket_t& wake_socket() { return pool_.wake_socket(); }
  // Jobs submitted and not yet taken back.
  size_t pending() const { return pool_.pending(); }

 private:
  LoopWorkerPool<Job, Result> pool_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_CHUNK_VERIFIER_H_
