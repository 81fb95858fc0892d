#ifndef PYTORRENT_PEER_CONTENT_MANIFEST_H_
#define PYTORRENT_PEER_CONTENT_MANIFEST_H_

// A file's manifest: its chunking, chunk digests, Merkle root (the file's
// identity, see peer/merkle.h) and whole-file SHA-256.
//
// Example:
//   absl::StatusOr<Manifest> m = BuildManifest("/data/big.iso", "big.iso", kDefaultChunkSizeBytes);
//   v1::ManifestResponse wire = ManifestToProto(*m);
//   absl::StatusOr<Manifest> back = ManifestFromProto(wire, m->root);  // validates everything
//
// Thread-compatible value type; the free functions are thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/file_limits.h"
#include "common/sha256.h"
#include "proto/wire.pb.h"

namespace pytorrent::peer {

// kMinChunkSizeBytes, kMaxChunkSizeBytes and kMaxChunkCount (what one
// manifest frame can carry) are common/file_limits.h's, shared with the
// tracker.
inline constexpr uint32_t kDefaultChunkSizeBytes = 256 * 1024;

struct Manifest {
  std::string name;
  uint64_t size_bytes = 0;
  uint32_t chunk_size_bytes = kDefaultChunkSizeBytes;
  std::vector<Sha256Digest> chunk_hashes;
  Sha256Digest file_sha256{};
  Sha256Digest root{};

  uint32_t chunk_count() const { return static_cast<uint32_t>(chunk_hashes.size()); }
  uint64_t ChunkOffset(uint32_t chunk) const {
    return static_cast<uint64_t>(chunk) * chunk_size_bytes;
  }
  // Length of `chunk`: chunk_size_bytes except for a shorter last chunk.
  uint32_t ChunkLength(uint32_t chunk) const;
};

// Reads `path` once with pread in chunk-sized pieces (memory bounded by one
// chunk), computing every chunk digest and the whole-file SHA-256 in the same
// pass, then the Merkle root. `name` is validated with ValidateFileName.
// Errors: INVALID_ARGUMENT (name, chunk size, too many chunks), NOT_FOUND /
// PERMISSION_DENIED / INTERNAL (open/read), ABORTED if the file changed size
// while being read.
absl::StatusOr<Manifest> BuildManifest(const std::string& path, const std::string& name,
                                       uint32_t chunk_size_bytes);

v1::ManifestResponse ManifestToProto(const Manifest& manifest);

// Validates an untrusted manifest: name, chunk size, digest list length
// (a multiple of 32 matching the chunk count implied by the size), 32-byte
// file hash, and that the digests rebuild `expected_root`.
// INVALID_ARGUMENT for malformed fields, DATA_LOSS for a root mismatch.
absl::StatusOr<Manifest> ManifestFromProto(const v1::ManifestResponse& proto,
                                           const Sha256Digest& expected_root);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_CONTENT_MANIFEST_H_
