#ifndef PYTORRENT_PEER_FILE_CATALOG_H_
#define PYTORRENT_PEER_FILE_CATALOG_H_

// The files a node serves, by Merkle root: shared files, completed
// downloads (re-seeded) and verified chunks of downloads in progress.
//
// Example:
//   catalog.Put({.manifest = m, .fd = fd, .has_chunk = nullptr});
//   const ServedFile* f = catalog.Find(root);
//
// Not thread-safe: owned by the node's loop thread.

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <map>
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
  // Where the bytes are read from (pread).
  std::shared_ptr<SharedFd> fd;
  // Null: every chunk is held. Else true for verified chunks (partial file).
  std::function<bool(uint32_t)> has_chunk;
  // Where it lives on disk, for status.
  std::string path;
};

class FileCatalog {
 public:
  void Put(ServedFile file) {
    Sha256Digest root = file.manifest->root;
    if (file.manifest_bytes == nullptr) {
      file.manifest_bytes =
          std::make_shared<const std::string>(ManifestToProto(*file.manifest).SerializeAsString());
    }
    files_[root] = std::move(file);
  }
  void Remove(const Sha256Digest& root) { files_.erase(root); }
  const ServedFile* Find(const Sha256Digest& root) const {
    auto it = files_.find(root);
    return it == files_.end() ? nullptr : &it->second;
  }
  size_t size() const { return files_.size(); }

 private:
  std::map<Sha256Digest, ServedFile> files_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_FILE_CATALOG_H_
