#ifndef PYTORRENT_PEER_CONTENT_MANIFEST_CACHE_H_
#define PYTORRENT_PEER_CONTENT_MANIFEST_CACHE_H_

// Caches manifests of shared files on disk so a restarted seeder does not
// re-hash unchanged files.
//
// One entry per source path, stored as `<dir>/<sha256(path) hex>.manifest`,
// keyed by (path, size, mtime in nanoseconds): a lookup with any other size
// or mtime misses, so a changed file is re-hashed. Entry format (binary):
//   "PTMC0001" | u64 size | i64 mtime_ns | u32 chunk_size | u32 path_len |
//   path | u32 proto_len | ManifestResponse bytes | SHA-256 of all before.
// A truncated, corrupted or mismatching entry is a miss, never an error.
//
// Example:
//   ManifestCache cache(home + "/state/manifests");
//   auto m = cache.GetOrBuild(path, name, size, mtime_ns, chunk_size);
//
// Thread-safe: no mutable in-memory state; entries are replaced atomically.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "peer/content/manifest.h"

namespace pytorrent::peer {

struct ManifestKey {
  std::string path;
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  uint32_t chunk_size_bytes = kDefaultChunkSizeBytes;
};

// Pure codec, exposed for tests.
std::string EncodeManifestCacheEntry(const ManifestKey& key, const Manifest& manifest);
// The manifest if `bytes` is an intact entry for exactly `key`; nullopt otherwise.
std::optional<Manifest> DecodeManifestCacheEntry(std::string_view bytes, const ManifestKey& key);

class ManifestCache {
 public:
  // `dir` is created if missing.
  explicit ManifestCache(std::string dir);

  std::optional<Manifest> Lookup(const ManifestKey& key) const;
  absl::Status Store(const ManifestKey& key, const Manifest& manifest) const;
  // Lookup, else BuildManifest + Store. `name` is the shared name (set on the
  // cached manifest too, so a renamed path keeps its own name).
  absl::StatusOr<Manifest> GetOrBuild(const ManifestKey& key, const std::string& name,
                                      bool* was_cached = nullptr) const;

 private:
  std::string EntryPath(const std::string& path) const;
  std::string dir_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_CONTENT_MANIFEST_CACHE_H_
