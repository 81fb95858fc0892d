#include "common/file_limits.h"

#include "absl/strings/str_cat.h"

namespace pytorrent {

absl::Status ValidateChunkSize(uint64_t chunk_size_bytes) {
  if (chunk_size_bytes < kMinChunkSizeBytes || chunk_size_bytes > kMaxChunkSizeBytes ||
      (chunk_size_bytes & (chunk_size_bytes - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_size_bytes must be a power of two from 16 KiB to 16 MiB, got ", chunk_size_bytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateFileGeometry(uint64_t size_bytes, uint64_t chunk_size_bytes) {
  if (absl::Status s = ValidateChunkSize(chunk_size_bytes); !s.ok()) return s;
  const uint64_t count = ChunkCountFor(size_bytes, chunk_size_bytes);
  if (count > kMaxChunkCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("a file of ", size_bytes, " bytes needs ", count, " chunks of ",
                     chunk_size_bytes, " bytes, more than the ", kMaxChunkCount,
                     " a manifest can carry; use a larger chunk size"));
  }
  return absl::OkStatus();
}

}  // namespace pytorrent
