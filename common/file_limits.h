#ifndef PYTORRENT_COMMON_FILE_LIMITS_H_
#define PYTORRENT_COMMON_FILE_LIMITS_H_

// The file geometry every PyTorrent component accepts: the tracker checks
// announced files against it, the peer checks files it shares and every
// manifest it receives. Written in proto/tracker.proto (FileAvailability)
// and proto/wire.proto (ManifestResponse); one definition here.
//
// Why the chunk count is capped far below 2^32 (chunk counts and indices are
// uint32 on the wire): a file's manifest travels in one ManifestResponse
// header frame of at most kMaxManifestFrameBytes, 32 bytes per chunk digest.
// So the largest file is kMaxChunkCount chunks:
//   16 KiB chunks: 4,293,918,720 bytes (4 GiB - 1 MiB)
//   256 KiB chunks (the peer's default): 68,702,699,520 bytes (64 GiB - 16 MiB)
//   16 MiB chunks: 4,396,972,769,280 bytes (4 TiB - 1 GiB)
// A zero-byte file has no chunks (it is valid: its root is SHA-256 of "").
//
// Example:
//   if (absl::Status s = ValidateFileGeometry(size, chunk_size); !s.ok()) return s;

#include <cstdint>

#include "absl/status/status.h"

namespace pytorrent {

inline constexpr uint32_t kMinChunkSizeBytes = 16 * 1024;
inline constexpr uint32_t kMaxChunkSizeBytes = 16 * 1024 * 1024;
// A ManifestResponse header frame is at most this long (proto/wire.proto).
inline constexpr uint64_t kMaxManifestFrameBytes = 8 * 1024 * 1024;
// 262,080 chunks: their digests (8,386,560 bytes) leave 2 KiB of the
// manifest frame for the name, sizes and file hash.
inline constexpr uint32_t kMaxChunkCount = 256 * 1024 - 64;

// ceil(size / chunk_size); 0 for an empty file. `chunk_size_bytes` > 0.
inline uint64_t ChunkCountFor(uint64_t size_bytes, uint64_t chunk_size_bytes) {
  return size_bytes / chunk_size_bytes + (size_bytes % chunk_size_bytes != 0 ? 1 : 0);
}

// OK for a power of two in [16 KiB, 16 MiB]; INVALID_ARGUMENT otherwise.
absl::Status ValidateChunkSize(uint64_t chunk_size_bytes);

// OK when the chunk size is valid and the file needs at most kMaxChunkCount
// chunks; INVALID_ARGUMENT (naming the limit) otherwise.
absl::Status ValidateFileGeometry(uint64_t size_bytes, uint64_t chunk_size_bytes);

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_FILE_LIMITS_H_
