#include "peer/manifest.h"

#include <fstream>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "peer/merkle.h"

namespace pytorrent::peer {
namespace {

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string WriteTemp(const std::string& name, const std::string& contents) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(ManifestTest, ChunkSizeMustBePowerOfTwoInRange) {
  EXPECT_TRUE(ValidateChunkSize(16 * 1024).ok());
  EXPECT_TRUE(ValidateChunkSize(16 * 1024 * 1024).ok());
  EXPECT_FALSE(ValidateChunkSize(8 * 1024).ok());
  EXPECT_FALSE(ValidateChunkSize(32 * 1024 * 1024).ok());
  EXPECT_FALSE(ValidateChunkSize(100000).ok());
}

TEST(ManifestTest, BuildHashesEveryChunkAndWholeFileInOnePass) {
  const uint32_t kChunk = 16 * 1024;
  std::string data = RandomBytes(3 * kChunk + 100, 1);
  std::string path = WriteTemp("m1.bin", data);
  absl::StatusOr<Manifest> m = BuildManifest(path, "m1.bin", kChunk);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->chunk_count(), 4u);
  EXPECT_EQ(m->ChunkLength(3), 100u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(m->chunk_hashes[i],
              Sha256::Of(std::string_view(data).substr(i * kChunk, m->ChunkLength(i))));
  }
  EXPECT_EQ(m->file_sha256, Sha256::Of(data));
  EXPECT_EQ(m->root, MerkleRoot(m->chunk_hashes));
}

TEST(ManifestTest, EmptyFileHasNoChunks) {
  std::string path = WriteTemp("empty.bin", "");
  absl::StatusOr<Manifest> m = BuildManifest(path, "empty.bin", kDefaultChunkSizeBytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->chunk_count(), 0u);
  EXPECT_EQ(m->file_sha256, Sha256::Of(std::string_view()));
}

TEST(ManifestTest, BuildRejectsBadNameAndMissingFile) {
  std::string path = WriteTemp("x.bin", "abc");
  EXPECT_EQ(BuildManifest(path, "../x", kDefaultChunkSizeBytes).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildManifest(path + ".nope", "x", kDefaultChunkSizeBytes).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ManifestTest, ProtoRoundTripAndValidation) {
  std::string path = WriteTemp("m2.bin", RandomBytes(100000, 2));
  Manifest m = *BuildManifest(path, "m2.bin", 16 * 1024);
  v1::ManifestResponse proto = ManifestToProto(m);
  absl::StatusOr<Manifest> back = ManifestFromProto(proto, m.root);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->chunk_hashes, m.chunk_hashes);
  EXPECT_EQ(back->file_sha256, m.file_sha256);

  Sha256Digest other = m.root;
  other[0] ^= 1;
  EXPECT_EQ(ManifestFromProto(proto, other).status().code(), absl::StatusCode::kDataLoss);

  v1::ManifestResponse tampered = proto;
  (*tampered.mutable_chunk_hashes())[40] ^= 1;
  EXPECT_EQ(ManifestFromProto(tampered, m.root).status().code(), absl::StatusCode::kDataLoss);

  v1::ManifestResponse truncated = proto;
  truncated.mutable_chunk_hashes()->resize(proto.chunk_hashes().size() - 1);
  EXPECT_EQ(ManifestFromProto(truncated, m.root).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::ManifestResponse wrong_size = proto;
  wrong_size.set_size_bytes(proto.size_bytes() * 2);
  EXPECT_EQ(ManifestFromProto(wrong_size, m.root).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::ManifestResponse bad_name = proto;
  bad_name.set_name("a/b");
  EXPECT_EQ(ManifestFromProto(bad_name, m.root).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::ManifestResponse bad_chunk = proto;
  bad_chunk.set_chunk_size_bytes(12345);
  EXPECT_EQ(ManifestFromProto(bad_chunk, m.root).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pytorrent::peer
