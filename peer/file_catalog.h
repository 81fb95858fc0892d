#ifndef PYTORRENT_PEER_FILE_CATALOG_H_
#define PYTORRENT_PEER_FILE_CATALOG_H_

// The files a node serves, by Merkle root: shared files, completed
// downloads (re-seeded) and verified chunks of downloads in progress.
//
// Whole files are opened on demand when a chunk is read, and at most
// kMaxOpenFiles of them are kept open (least recently read closed first):
// a node that holds thousands of files does not hold a descriptor for each.
// A download in progress brings its own descriptor (its partial file).
//
// Example:
//   catalog.Put({.manifest = m, .path = "/home/u/shared/song.mp3"});
//   const ServedFile* f = catalog.Find(root);
//   std::shared_ptr<SharedFd> fd = catalog.OpenForRead(*f);  // null: cannot open
//
// Not thread-safe: owned by the node's loop thread.

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>

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
  // Whole files open at once (beyond it the least recently read is closed;
  // a read in progress keeps its descriptor until it ends).
  static constexpr size_t kMaxOpenFiles = 64;

  void Put(ServedFile file) {
    Sha256Digest root = file.manifest->root;
    if (file.manifest_bytes == nullptr) {
      file.manifest_bytes =
          std::make_shared<const std::string>(ManifestToProto(*file.manifest).SerializeAsString());
    }
    Close(root);
    files_[root] = std::move(file);
  }
  void Remove(const Sha256Digest& root) {
    Close(root);
    files_.erase(root);
  }
  const ServedFile* Find(const Sha256Digest& root) const {
    auto it = files_.find(root);
    return it == files_.end() ? nullptr : &it->second;
  }
  size_t size() const { return files_.size(); }

  // The descriptor to read `file` from: its own, or `path` opened now (or
  // kept open from an earlier read). Null if it cannot be opened.
  std::shared_ptr<SharedFd> OpenForRead(const ServedFile& file) const {
    if (file.fd != nullptr) return file.fd;
    const Sha256Digest& root = file.manifest->root;
    if (auto it = open_.find(root); it != open_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second.second);
      return it->second.first;
    }
    int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    auto shared = std::make_shared<SharedFd>(fd);
    recent_.push_front(root);
    open_[root] = {shared, recent_.begin()};
    while (open_.size() > kMaxOpenFiles) {
      open_.erase(recent_.back());
      recent_.pop_back();
    }
    return shared;
  }
  // Files opened on demand and still open.
  size_t open_files() const { return open_.size(); }

 private:
  void Close(const Sha256Digest& root) {
    if (auto it = open_.find(root); it != open_.end()) {
      recent_.erase(it->second.second);
      open_.erase(it);
    }
  }

  std::map<Sha256Digest, ServedFile> files_;
  // Opened on demand, most recently read first.
  mutable std::list<Sha256Digest> recent_;
  mutable std::map<Sha256Digest,
                   std::pair<std::shared_ptr<SharedFd>, std::list<Sha256Digest>::iterator>>
      open_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_FILE_CATALOG_H_
