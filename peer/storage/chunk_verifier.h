#ifndef PYTORRENT_PEER_STORAGE_CHUNK_VERIFIER_H_
#define PYTORRENT_PEER_STORAGE_CHUNK_VERIFIER_H_

// A small WorkerPool that takes chunk verification and storage off the
// loop thread: each job's bytes are checked against the manifest's digest
// and, if they match, written with one positioned write. A worker takes
// every queued job at once (up to 8) and digests them in one multi-buffer
// pass with its own ChunkDigester (peer/content/chunk_digest.h). Each
// batch's results go to `deliver` on the worker thread (the owner posts
// them to its loop).
//
// Memory: jobs hold the received frames (ChunkBytes, not copied), and the
// download submits only chunks it requested, so the queue is bounded by the
// credit windows.
//
// Example:
//   ChunkVerifier pool(file->fd(), /*workers=*/2, [&](auto results) { loop.Post(...); });
//   pool.Submit({.tag = peer, .chunk = 7, .offset = off, .expected = digest,
//                .data = std::move(bytes)});
//
// Submit: any thread. The descriptor must outlive the pool; destruction
// drops queued jobs and joins the workers.

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "common/sha256.h"
#include "peer/storage/chunk_bytes.h"
#include "peer/storage/worker_pool.h"

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
    ChunkBytes data;
  };
  struct Result {
    uint32_t tag = 0;
    uint32_t chunk = 0;
    uint64_t offset = 0;
    // OK: verified and written. DATA_LOSS: digest mismatch (nothing written).
    // RESOURCE_EXHAUSTED: disk full. Anything else: the write failed.
    absl::Status status;
    // The job's bytes, handed back so verified data can feed the whole-file
    // hash while it is still in memory.
    ChunkBytes data;
  };
  using Deliver = std::function<void(std::vector<Result> results)>;

  // Starts `workers` (>= 1) threads.
  ChunkVerifier(int fd, int workers, Deliver deliver);

  void Submit(Job job) { pool_.Submit(std::move(job)); }

 private:
  WorkerPool<Job, Result> pool_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_CHUNK_VERIFIER_H_
