#ifndef PYTORRENT_PEER_FILE_CATALOG_H_
#define PYTORRENT_PEER_FILE_CATALOG_H_

// `FileCatalog` is what the seeder reads: the files it may serve now, by
// Merkle root, and a descriptor to read each one from. The node's FileBook
// implements it (shared files, re-seeded downloads, verified chunks of
// downloads in progress); tests may implement it with a single file.
//
// Example:
//   const ServedFile* f = catalog.Find(root);  // null: not served
//   std::shared_ptr<SharedFd> fd = catalog.OpenForRead(*f);  // null: cannot open
//
// Called on the thread that owns the implementation (the node's loop).

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "common/sha256.h"
#include "peer/content/manifest.h"

namespace pytorrent::peer {

// Closes a descriptor when the last holder lets go.
class SharedFd {
 public:
  explicit SharedFd(int fd) : fd_(fd) {}
  ~SharedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  SharedFd(const SharedFd&) = delete;
  SharedFd& operator=(const SharedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct ServedFile {
  std::shared_ptr<const Manifest> manifest;
  // Serialized ManifestResponse, built once.
  std::shared_ptr<const std::string> manifest_bytes;
  // Where the bytes are read from (pread). Null: `path` is opened on demand.
  std::shared_ptr<SharedFd> fd;
  // Null: every chunk is held. Else true for verified chunks (partial file).
  std::function<bool(uint32_t)> has_chunk;
  // Where it lives on disk (opened from here when `fd` is null).
  std::string path;
};

class FileCatalog {
 public:
  virtual ~FileCatalog() = default;
  // Null if `root` is not served.
  virtual const ServedFile* Find(const Sha256Digest& root) const = 0;
  // The descriptor to read `file` from: its own, or `path` opened now (or
  // kept open from an earlier read). Null if it cannot be opened.
  virtual std::shared_ptr<SharedFd> OpenForRead(const ServedFile& file) const = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_FILE_CATALOG_H_
