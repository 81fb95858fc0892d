// libFuzzer target for manifests read back from disk (state/manifests/,
// peer/manifest_cache.h): a damaged entry must be a cache miss, never a
// crash or a wrong manifest.
//
// Entries end in a SHA-256 of everything before it, so each input is tried
// twice: as the whole entry, and as the body with its correct checksum
// appended and looked up under the key the body names (reaching the
// ManifestResponse parser and ManifestFromProto behind the checksum).
// Invariants (trap otherwise): a decoded manifest is consistent (chunk count
// matches size and chunk size) and survives its own encode/decode.
//
// bazel build --config=fuzz //tests/fuzz:manifest_cache_fuzz
// bazel-bin/tests/fuzz/manifest_cache_fuzz tests/fuzz/manifest_cache_fuzz_corpus -max_total_time=30

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "google/protobuf/stubs/logging.h"
#include "peer/content/manifest.h"
#include "peer/content/manifest_cache.h"
#include "tests/fuzz/le_reader.h"

namespace {

using pytorrent::peer::DecodeManifestCacheEntry;
using pytorrent::peer::Manifest;
using pytorrent::peer::ManifestKey;

constexpr size_t kMagicBytes = 8;

// The key an entry body claims: u64 size | i64 mtime_ns | u32 chunk_size |
// u32 path_len | path, right after the magic.
ManifestKey KeyNamedBy(std::string_view body) {
  ManifestKey key;
  if (body.size() < kMagicBytes) return key;
  pytorrent::fuzz::LeReader in(body.substr(kMagicBytes));
  uint64_t mtime = 0;
  uint32_t path_len = 0;
  std::string_view path;
  if (in.Read(key.size_bytes) && in.Read(mtime) && in.Read(key.chunk_size_bytes) &&
      in.Read(path_len) && in.Bytes(path_len, path)) {
    key.mtime_ns = static_cast<int64_t>(mtime);
    key.path = std::string(path);
  }
  return key;
}

void DecodeChecked(std::string_view entry, const ManifestKey& key) {
  std::optional<Manifest> manifest = DecodeManifestCacheEntry(entry, key);
  if (!manifest.has_value()) return;
  if (manifest->size_bytes != key.size_bytes) __builtin_trap();
  if (manifest->chunk_count() !=
      pytorrent::ChunkCountFor(manifest->size_bytes, manifest->chunk_size_bytes)) {
    __builtin_trap();
  }
  std::optional<Manifest> again =
      DecodeManifestCacheEntry(pytorrent::peer::EncodeManifestCacheEntry(key, *manifest), key);
  if (!again.has_value() || again->root != manifest->root ||
      again->chunk_hashes != manifest->chunk_hashes) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (size > (4u << 20)) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  DecodeChecked(bytes,
                ManifestKey{"/shared/file", size, 1, pytorrent::peer::kDefaultChunkSizeBytes});

  std::string entry(bytes);
  const pytorrent::Sha256Digest check = pytorrent::Sha256::Of(bytes);
  entry.append(reinterpret_cast<const char*>(check.data()), check.size());
  DecodeChecked(entry, KeyNamedBy(bytes));
  return 0;
}
