#ifndef PYTORRENT_PEER_STORAGE_DOWNLOAD_STORAGE_H_
#define PYTORRENT_PEER_STORAGE_DOWNLOAD_STORAGE_H_

// `DownloadStorage` is a download's storage pipeline, as the download state
// machine sees it: open (or resume) the partial file, check and write each
// received chunk, keep the resume state and the whole-file hash going, and
// at the end verify the whole file and publish it. Every operation returns
// at once; slow work (hashing, fsync, rename, re-checking a resumed file)
// runs elsewhere and its outcome comes back through `DownloadStorage::Sink`
// on the owner's loop thread, so the loop never waits on the disk.
//
// Sequence: Open -> Sink::OnOpened; then any number of Store -> OnStored
// and Commit (a verified chunk); Finalize -> OnFinalized (OK: published;
// DATA_LOSS with `bad_chunks`: those chunks were wrong on disk and are no
// longer counted, fetch them again and Finalize again). Close(discard) ends
// it: discard deletes the partial file and resume state (cancel), otherwise
// the resume state is saved for the next start.
//
// The production implementation is DiskStorage (disk_storage.h); tests may
// implement this in memory.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peer/content/manifest.h"
#include "peer/storage/chunk_bytes.h"

namespace pytorrent::peer {

class DownloadStorage {
 public:
  struct Opened {
    // Chunks verified on disk, by index (chunk_count entries).
    std::vector<bool> verified;
    // Chunks hashed again while opening (not trusted from the resume state).
    uint32_t rechecked = 0;
    // Chunks the resume state claimed but that failed their re-check.
    uint32_t repaired = 0;
  };
  struct Stored {
    // Opaque to storage (the download passes the sender's handle).
    uint32_t tag = 0;
    uint32_t chunk = 0;
    // OK: verified and written. DATA_LOSS: the digest did not match
    // (nothing written). Anything else: the write failed.
    absl::Status status;
    // The chunk's bytes, handed back (Commit may reuse them).
    ChunkBytes data;
  };
  struct Finalized {
    // OK: the file is complete, verified whole and published at `path`.
    absl::Status status;
    std::string path;
    // With DATA_LOSS: chunks found wrong on disk by a chunk-by-chunk re-check
    // after the whole-file hash failed; everything else was kept.
    std::vector<uint32_t> bad_chunks;
  };

  // Completions, called on the owner's loop thread.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void OnOpened(absl::StatusOr<Opened> opened) = 0;
    virtual void OnStored(std::vector<Stored> stored) = 0;
    virtual void OnFinalized(Finalized finalized) = 0;
  };

  virtual ~DownloadStorage() = default;

  // Opens or resumes the partial file for `manifest`. Fails (OnOpened) with
  // ALREADY_EXISTS when the destination exists and `overwrite` is false,
  // RESOURCE_EXHAUSTED when the disk lacks the space, or the I/O error.
  virtual void Open(std::shared_ptr<const Manifest> manifest, bool overwrite) = 0;
  // Checks `bytes` against chunk `chunk`'s digest and writes them.
  virtual void Store(uint32_t tag, uint32_t chunk, ChunkBytes bytes) = 0;
  // `chunk` is verified and on disk: it counts from now on (resume state,
  // whole-file hash). `bytes` may be empty (then it is read back).
  virtual void Commit(uint32_t chunk, ChunkBytes bytes) = 0;
  // Saves the resume state soon (after syncing the data it claims).
  virtual void SaveResume() = 0;
  // Verifies the whole file and publishes it (every chunk committed).
  virtual void Finalize() = 0;
  // No more operations; see the class comment. Completions after Close are
  // dropped.
  virtual void Close(bool discard) = 0;

  // The partial (or published) file's descriptor, for serving verified
  // chunks while downloading; -1 before OnOpened.
  virtual int fd() const = 0;
  virtual std::string path() const = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_DOWNLOAD_STORAGE_H_
