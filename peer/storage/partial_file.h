#ifndef PYTORRENT_PEER_STORAGE_PARTIAL_FILE_H_
#define PYTORRENT_PEER_STORAGE_PARTIAL_FILE_H_

// A download's data file while it is incomplete: preallocated to the final
// size in the state folder, written with one pwrite per verified chunk, and
// at completion fsynced and renamed into the downloads folder.
//
// Example:
//   auto file = PartialFile::Open(state + "/" + hex + ".part", manifest.size_bytes);
//   (*file)->Write(manifest.ChunkOffset(i), bytes);
//   (*file)->Publish(home + "/user/downloads", manifest.name, /*overwrite=*/false);
//
// Thread-compatible: pread/pwrite are positional, so concurrent Read/Write
// calls on distinct ranges are safe; Publish must not race with anything.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/sha256.h"

namespace pytorrent::peer {

class PartialFile {
 public:
  ~PartialFile();
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  // Opens `path` if it exists with exactly `size_bytes` (reused() is then
  // true), else creates it (replacing a file of another size) and
  // preallocates it with posix_fallocate (real blocks; a sparse file only
  // where the file system cannot preallocate). RESOURCE_EXHAUSTED naming
  // what is needed and what is free if the space is not there (checked
  // before, and again if preallocation runs out); INTERNAL /
  // PERMISSION_DENIED on other failures.
  static absl::StatusOr<std::unique_ptr<PartialFile>> Open(const std::string& path,
                                                           uint64_t size_bytes);

  // Writes all of `bytes` at `offset`. OUT_OF_RANGE past the end.
  absl::Status Write(uint64_t offset, absl::Span<const uint8_t> bytes);
  // Fills all of `out` from `offset`. OUT_OF_RANGE past the end.
  absl::Status Read(uint64_t offset, absl::Span<uint8_t> out) const;
  // fdatasync: data written so far survives a power cut.
  absl::Status Sync();
  // SHA-256 of the whole file, read back with bounded memory.
  absl::StatusOr<Sha256Digest> HashAll() const;

  // fsyncs and moves the file to `dest_dir/name`. `name` must pass
  // ValidateFileName (INVALID_ARGUMENT). Without `overwrite`, an existing
  // destination is never replaced (ALREADY_EXISTS; renameat2 NOREPLACE).
  // The open descriptor stays valid, so the file can still be served.
  absl::Status Publish(const std::string& dest_dir, const std::string& name, bool overwrite);

  bool reused() const { return reused_; }
  const std::string& path() const { return path_; }
  uint64_t size_bytes() const { return size_bytes_; }
  int fd() const { return fd_; }

 private:
  PartialFile(int fd, std::string path, uint64_t size_bytes, bool reused)
      : fd_(fd), path_(std::move(path)), size_bytes_(size_bytes), reused_(reused) {}
  int fd_;
  std::string path_;
  uint64_t size_bytes_;
  bool reused_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_PARTIAL_FILE_H_
