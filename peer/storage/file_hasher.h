#ifndef PYTORRENT_PEER_STORAGE_FILE_HASHER_H_
#define PYTORRENT_PEER_STORAGE_FILE_HASHER_H_

// Computes a download's whole-file SHA-256 on a worker thread while chunks
// are still arriving: the loop tells it how long the verified, written
// prefix of the file is, and the worker hashes up to there. Bytes the loop
// still holds in memory can be handed over with Feed() (the verified chunk
// buffers); everything else is read back from the file (pread). At
// completion the digest is ready almost at once, and the loop thread never
// spends time on the second hash pass.
//
// Example:
//   FileHasher hasher(file->fd(), manifest.size_bytes, manifest.chunk_size_bytes);
//   hasher.Feed(offset, bytes, owner);     // optional: a chunk still in memory
//   hasher.AdvanceTo(prefix_bytes);        // after each verified chunk
//   absl::StatusOr<Sha256Digest> d = hasher.Wait();  // once everything is in
//
// Thread-safe; owns one worker thread. The descriptor must outlive it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/sha256.h"

namespace pytorrent::peer {

class FileHasher {
 public:
  FileHasher(int fd, uint64_t size_bytes, uint32_t block_bytes);
  ~FileHasher();
  FileHasher(const FileHasher&) = delete;
  FileHasher& operator=(const FileHasher&) = delete;

  // Bytes [0, prefix_bytes) are final on disk. Never moves backwards.
  void AdvanceTo(uint64_t prefix_bytes);
  // `bytes` are the file's bytes at `offset` (identical to what is or will be
  // on disk), kept alive by `owner` until hashed or dropped. Precondition:
  // `offset` >= the last AdvanceTo prefix (bytes the worker may already have
  // read are never fed). The worker hashes them instead of reading them back.
  void Feed(uint64_t offset, absl::Span<const uint8_t> bytes, std::shared_ptr<const void> owner);
  // Waits until the whole file is hashed (AdvanceTo(size) must have been
  // called) and returns the digest; INTERNAL if a read failed.
  absl::StatusOr<Sha256Digest> Wait();
  // Bytes hashed so far, readable from any thread (outlives the hasher).
  std::shared_ptr<const std::atomic<uint64_t>> progress() const { return progress_; }

 private:
  void Run();

  struct Segment {
    absl::Span<const uint8_t> bytes;
    std::shared_ptr<const void> owner;
  };

  const int fd_;
  const uint64_t size_bytes_;
  const uint32_t block_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t ready_ = 0;
  std::map<uint64_t, Segment> segments_;  // by offset
  uint64_t hashed_ = 0;
  bool failed_ = false;
  bool done_ = false;
  bool stopping_ = false;
  Sha256Digest digest_{};
  std::shared_ptr<std::atomic<uint64_t>> progress_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::thread worker_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_FILE_HASHER_H_
