#ifndef PYTORRENT_PEER_STORAGE_DISK_STORAGE_H_
#define PYTORRENT_PEER_STORAGE_DISK_STORAGE_H_

// `DiskStorage` is the production DownloadStorage: a preallocated partial
// file in the state folder (`<root>.part`), its resume state
// (`<root>.resume`, the verified-chunk bitmap, saved after an fdatasync of
// the data it claims), chunk checks and writes on a small WorkerPool, the
// whole-file SHA-256 computed while chunks arrive (FileHasher, fed from the
// verified buffers within a reorder window), and the slow one-off steps on
// the node's BackgroundExecutor:
//   - Open: create or reuse the partial file; on reuse, trust the resume
//     state only as far as it deserves: chunks it does not list are hashed
//     (written after the last save), and chunks it lists are re-checked
//     too when the partial file changed after the state was saved (all of
//     them) or else a sample of them; a listed chunk that fails is fetched
//     again (`repaired`) instead of spoiling the whole file.
//   - Finalize: the whole-file hash, and if it does not match, a chunk by
//     chunk re-check that names the bad chunks (nothing else is discarded);
//     then fsync and rename into the downloads folder.
//   - Close: the last resume-state save (or, for a cancel, deleting both
//     files), after which the DiskStorage may be destroyed at once.
// Results reach the Sink through `post` (the node's loop).
//
// Loop thread only (the methods and the Sink calls); the workers share only
// immutable inputs and the files, handed over with each task.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/sha256.h"
#include "peer/storage/background_executor.h"
#include "peer/storage/download_storage.h"
#include "peer/storage/resume_state.h"

namespace pytorrent::peer {

struct DiskStorageOptions {
  Sha256Digest root{};
  std::string state_dir;
  std::string downloads_dir;
  // Threads that check and write received chunks.
  int verify_workers = 1;
  // Verified chunks just ahead of the whole-file hash's position are kept in
  // memory up to this many bytes, so the hash need not read them back.
  uint64_t hash_reorder_window_bytes = 4ull << 20;
  // Chunks listed as verified that Open re-checks when the partial file is
  // not newer than the resume state (a cheap guard against silent damage).
  uint32_t resume_sample_chunks = 8;
};

class DiskStorage final : public DownloadStorage {
 public:
  using Poster = std::function<void(std::function<void()>)>;

  DiskStorage(DiskStorageOptions options, Sink& sink, Poster post, BackgroundExecutor& background);
  ~DiskStorage() override;
  DiskStorage(const DiskStorage&) = delete;
  DiskStorage& operator=(const DiskStorage&) = delete;

  void Open(std::shared_ptr<const Manifest> manifest, bool overwrite) override;
  void Store(uint32_t tag, uint32_t chunk, ChunkBytes bytes) override;
  void Commit(uint32_t chunk, ChunkBytes bytes) override;
  void SaveResume() override;
  void Finalize() override;
  void Close(bool discard) override;
  int fd() const override;
  std::string path() const override { return path_; }

  std::string PartialPath() const;
  std::string ResumePath() const;

 private:
  // The files and their threads, shared with background tasks.
  struct Files;
  class Verifier;

  // Posts `deliver` to the loop, dropped if this storage is gone or closed.
  void PostBack(std::function<void()> deliver);
  void StartPipeline();
  void AdvanceFileHash();

  const DiskStorageOptions options_;
  Sink& sink_;
  const Poster post_;
  BackgroundExecutor& background_;
  // Shared with posted completions; read and written on the loop only.
  struct Liveness {
    bool alive = true;     // false once closed or destroyed
    bool discard = false;  // closed by a cancel
  };
  std::shared_ptr<Liveness> live_ = std::make_shared<Liveness>();
  std::shared_ptr<const Manifest> manifest_;
  bool overwrite_ = false;
  std::shared_ptr<Files> files_;
  std::unique_ptr<Verifier> verifier_;
  std::unique_ptr<ResumeState> resume_;
  bool resume_dirty_ = false;
  uint32_t hash_cursor_ = 0;
  // Verified chunks at or just ahead of hash_cursor_, still in memory.
  std::map<uint32_t, ChunkBytes> reorder_;
  // End offset of the last bytes fed to the hasher.
  uint64_t fed_end_ = 0;
  bool finalizing_ = false;
  std::string path_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_DISK_STORAGE_H_
