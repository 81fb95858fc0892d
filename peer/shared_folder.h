#ifndef PYTORRENT_PEER_SHARED_FOLDER_H_
#define PYTORRENT_PEER_SHARED_FOLDER_H_

// Keeps the set of shared files in sync with `user/shared_files/`.
//
// Each Rescan lists the folder (names, sizes, mtimes only: cheap), hashes
// files that are new or changed (through the manifest cache, so unchanged
// files are never re-hashed across restarts) and reports what to announce
// and withdraw (by path: several identical files share a root, and the
// FileBook withdraws a root only when its last path goes). A file whose mtime is younger than
// `stable_age` is still being written: it is skipped (counted in `unstable`) until it settles.
// Hidden files (leading '.') and names failing ValidateFileName are ignored.
//
// Example:
//   SharedFolder folder(home + "/user/shared_files", cache, kDefaultChunkSizeBytes);
//   SharedFolder::Changes changes = folder.Rescan(absl::Now());
//
// Not thread-safe: owned by the node's scanner thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "peer/content/manifest.h"
#include "peer/content/manifest_cache.h"

namespace pytorrent::peer {

struct SharedFileEntry {
  std::string name;
  std::string path;
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  Manifest manifest;
};

class SharedFolder {
 public:
  struct Changes {
    // New files, and files whose content changed (same path, new root).
    std::vector<SharedFileEntry> added;
    // Paths no longer shared (deleted, renamed away, no longer regular).
    std::vector<std::string> removed;
    int unstable = 0;
    int hashed = 0;
    int errors = 0;
  };

  SharedFolder(std::string dir, const ManifestCache& cache, uint32_t chunk_size_bytes,
               absl::Duration stable_age = absl::Seconds(1));

  Changes Rescan(absl::Time now);
  size_t size() const { return entries_.size(); }

 private:
  std::string dir_;
  const ManifestCache& cache_;
  uint32_t chunk_size_bytes_;
  absl::Duration stable_age_;
  std::map<std::string, SharedFileEntry> entries_;  // by name
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_SHARED_FOLDER_H_
