#include "peer/content/manifest.h"

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "peer/content/merkle.h"

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

// Larger chunks span several 16 KiB Merkle blocks: each chunk hash is the
// root over its blocks' SHA-256, and the file root is the tree over every
// block, spelled out here with OpenSSL alone. Files larger than the 1 MiB
// hashing window and window-sized chunks are both covered.
TEST(ManifestTest, ChunkHashesAreRootsOverSixteenKibBlocks) {
  for (uint32_t chunk_size : {64u * 1024, 1024u * 1024, 4u * 1024 * 1024}) {
    std::string data = RandomBytes(5 * 1024 * 1024 + 12345, chunk_size);
    std::string path = WriteTemp("blocks.bin", data);
    absl::StatusOr<Manifest> m = BuildManifest(path, "blocks.bin", chunk_size);
    ASSERT_TRUE(m.ok()) << m.status();
    std::vector<Sha256Digest> blocks;
    for (size_t offset = 0; offset < data.size(); offset += 16 * 1024) {
      blocks.push_back(Sha256::Of(std::string_view(data).substr(offset, 16 * 1024)));
    }
    EXPECT_EQ(m->root, MerkleRoot(blocks)) << chunk_size;
    EXPECT_EQ(m->root, MerkleRoot(m->chunk_hashes)) << chunk_size;
    const size_t per_chunk = chunk_size / (16 * 1024);
    for (uint32_t i = 0; i < m->chunk_count(); ++i) {
      size_t first = i * per_chunk;
      size_t count = std::min(per_chunk, blocks.size() - first);
      EXPECT_EQ(m->chunk_hashes[i], MerkleRoot(absl::MakeConstSpan(blocks.data() + first, count)))
          << chunk_size << " chunk " << i;
    }
    EXPECT_EQ(m->file_sha256, Sha256::Of(data));
  }
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
