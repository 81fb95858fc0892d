#include "common/file_limits.h"

#include <gtest/gtest.h>

namespace pytorrent {
namespace {

TEST(FileLimitsTest, ChunkCountFitsTheManifestFrame) {
  // 32-byte digests of every chunk, plus room for the other fields.
  EXPECT_LE(uint64_t{kMaxChunkCount} * 32 + 2048, kMaxManifestFrameBytes);
}

TEST(FileLimitsTest, ChunkSizeIsAPowerOfTwoFrom16KiBTo16MiB) {
  EXPECT_TRUE(ValidateChunkSize(16 * 1024).ok());
  EXPECT_TRUE(ValidateChunkSize(16 * 1024 * 1024).ok());
  EXPECT_FALSE(ValidateChunkSize(8 * 1024).ok());
  EXPECT_FALSE(ValidateChunkSize(32 * 1024 * 1024).ok());
  EXPECT_FALSE(ValidateChunkSize(48 * 1024).ok());
  EXPECT_FALSE(ValidateChunkSize(0).ok());
}

TEST(FileLimitsTest, GeometryRefusesMoreChunksThanTheLimit) {
  EXPECT_TRUE(ValidateFileGeometry(0, 16 * 1024).ok());  // empty: no chunks
  EXPECT_EQ(ChunkCountFor(0, 16 * 1024), 0u);
  EXPECT_EQ(ChunkCountFor(1, 16 * 1024), 1u);
  EXPECT_EQ(ChunkCountFor(16 * 1024 + 1, 16 * 1024), 2u);
  const uint64_t largest = uint64_t{kMaxChunkCount} * kMaxChunkSizeBytes;
  EXPECT_TRUE(ValidateFileGeometry(largest, kMaxChunkSizeBytes).ok());
  EXPECT_EQ(ValidateFileGeometry(largest + 1, kMaxChunkSizeBytes).code(),
            absl::StatusCode::kInvalidArgument);
  // 2^47 bytes of 16 KiB chunks: 2^33 chunks, past uint32 and the manifest.
  EXPECT_FALSE(ValidateFileGeometry(uint64_t{1} << 47, 16 * 1024).ok());
  EXPECT_FALSE(ValidateFileGeometry(UINT64_MAX, kMaxChunkSizeBytes).ok());
}

}  // namespace
}  // namespace pytorrent
