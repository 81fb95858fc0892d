#include "peer/shared_folder.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "common/log.h"
#include "common/names.h"

namespace pytorrent::peer {

SharedFolder::SharedFolder(std::string dir, const ManifestCache& cache, uint32_t chunk_size_bytes,
                           absl::Duration stable_age)
    : dir_(std::move(dir)),
      cache_(cache),
      chunk_size_bytes_(chunk_size_bytes),
      stable_age_(stable_age) {}

SharedFolder::Changes SharedFolder::Rescan(absl::Time now) {
  Changes changes;
  std::set<std::string> seen;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec);
  if (ec) return changes;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || !ValidateFileName(name).ok()) continue;
    std::string path = it->path().string();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    uint64_t size = static_cast<uint64_t>(st.st_size);
    seen.insert(name);
    auto known = entries_.find(name);
    if (known != entries_.end() && known->second.size_bytes == size &&
        known->second.mtime_ns == mtime_ns) {
      continue;
    }
    if (now - absl::FromUnixNanos(mtime_ns) < stable_age_) {
      ++changes.unstable;
      continue;
    }
    bool cached = false;
    absl::StatusOr<Manifest> manifest =
        cache_.GetOrBuild({path, size, mtime_ns, chunk_size_bytes_}, name, &cached);
    if (!manifest.ok()) {
      if (absl::IsAborted(manifest.status())) {
        ++changes.unstable;  // changed while hashing: try again next scan
      } else {
        ++changes.errors;
        PT_LOG_WARN("cannot share {}: {}", path, manifest.status().ToString());
      }
      continue;
    }
    if (!cached) ++changes.hashed;
    SharedFileEntry entry{name, path, size, mtime_ns, *std::move(manifest)};
    changes.added.push_back(entry);
    entries_[name] = std::move(entry);
  }
  for (auto e = entries_.begin(); e != entries_.end();) {
    if (seen.count(e->first) == 0) {
      changes.removed.push_back(e->second.path);
      e = entries_.erase(e);
    } else {
      ++e;
    }
  }
  return changes;
}

}  // namespace pytorrent::peer
