#include "peer/content/manifest_cache.h"

#include <filesystem>

#include "peer/storage/atomic_file.h"
#include "peer/storage/byte_codec.h"

namespace pytorrent::peer {
namespace {

constexpr std::string_view kMagic = "PTMC0002";  // 0002: 16 KiB Merkle leaves
// A manifest is at most 8 MiB; the entry adds the path and a few integers.
constexpr uint64_t kMaxEntryBytes = 9 * 1024 * 1024;

}  // namespace

std::string EncodeManifestCacheEntry(const ManifestKey& key, const Manifest& manifest) {
  std::string out(kMagic);
  PutU64(out, key.size_bytes);
  PutU64(out, static_cast<uint64_t>(key.mtime_ns));
  PutU32(out, key.chunk_size_bytes);
  PutU32(out, static_cast<uint32_t>(key.path.size()));
  out.append(key.path);
  std::string proto = ManifestToProto(manifest).SerializeAsString();
  PutU32(out, static_cast<uint32_t>(proto.size()));
  out.append(proto);
  Sha256Digest check = Sha256::Of(std::string_view(out));
  out.append(reinterpret_cast<const char*>(check.data()), check.size());
  return out;
}

std::optional<Manifest> DecodeManifestCacheEntry(std::string_view bytes, const ManifestKey& key) {
  if (bytes.size() < kMagic.size() + 32 || bytes.substr(0, kMagic.size()) != kMagic) {
    return std::nullopt;
  }
  std::string_view body = bytes.substr(0, bytes.size() - 32);
  Sha256Digest check = Sha256::Of(body);
  if (std::memcmp(check.data(), bytes.data() + body.size(), 32) != 0) return std::nullopt;
  ByteReader in(body.substr(kMagic.size()));
  uint64_t size = 0, mtime = 0;
  uint32_t chunk_size = 0, path_len = 0, proto_len = 0;
  std::string_view path, proto_bytes;
  if (!in.U64(size) || !in.U64(mtime) || !in.U32(chunk_size) || !in.U32(path_len) ||
      !in.Bytes(path_len, path) || !in.U32(proto_len) || !in.Bytes(proto_len, proto_bytes) ||
      in.remaining() != 0) {
    return std::nullopt;
  }
  if (size != key.size_bytes || static_cast<int64_t>(mtime) != key.mtime_ns ||
      chunk_size != key.chunk_size_bytes || path != key.path) {
    return std::nullopt;
  }
  v1::ManifestResponse proto;
  if (!proto.ParseFromArray(proto_bytes.data(), static_cast<int>(proto_bytes.size()))) {
    return std::nullopt;
  }
  Sha256Digest root{};
  if (!DigestFromBytes(proto.root_hash(), root)) return std::nullopt;
  absl::StatusOr<Manifest> manifest = ManifestFromProto(proto, root);
  if (!manifest.ok() || manifest->size_bytes != size) return std::nullopt;
  return *std::move(manifest);
}

ManifestCache::ManifestCache(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
}

std::string ManifestCache::EntryPath(const std::string& path) const {
  return dir_ + "/" + ToHex(Sha256::Of(std::string_view(path))) + ".manifest";
}

std::optional<Manifest> ManifestCache::Lookup(const ManifestKey& key) const {
  absl::StatusOr<std::string> bytes = ReadSmallFile(EntryPath(key.path), kMaxEntryBytes);
  if (!bytes.ok()) return std::nullopt;
  return DecodeManifestCacheEntry(*bytes, key);
}

absl::Status ManifestCache::Store(const ManifestKey& key, const Manifest& manifest) const {
  return WriteFileAtomically(EntryPath(key.path), EncodeManifestCacheEntry(key, manifest));
}

absl::StatusOr<Manifest> ManifestCache::GetOrBuild(const ManifestKey& key, const std::string& name,
                                                   bool* was_cached) const {
  if (std::optional<Manifest> cached = Lookup(key); cached.has_value()) {
    if (was_cached != nullptr) *was_cached = true;
    cached->name = name;
    return *std::move(cached);
  }
  if (was_cached != nullptr) *was_cached = false;
  absl::StatusOr<Manifest> built = BuildManifest(key.path, name, key.chunk_size_bytes);
  if (!built.ok()) return built.status();
  if (built->size_bytes != key.size_bytes) {
    return absl::AbortedError(key.path + " changed size since it was listed");
  }
  // A failed store only costs a re-hash on the next start.
  (void)Store(key, *built);
  return built;
}

}  // namespace pytorrent::peer
