#include "peer/content/chunk_digest.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "peer/content/merkle.h"

namespace pytorrent::peer {
namespace {

std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

absl::Span<const uint8_t> Span(const std::vector<uint8_t>& v, size_t offset, size_t length) {
  return absl::MakeConstSpan(v.data() + offset, length);
}

// The definition, spelled out with OpenSSL alone: leaves are SHA-256 of each
// 16 KiB block, folded with MerkleRoot.
Sha256Digest ReferenceDigest(absl::Span<const uint8_t> chunk) {
  std::vector<Sha256Digest> leaves;
  for (size_t offset = 0; offset < chunk.size(); offset += kMerkleBlockBytes) {
    leaves.push_back(Sha256::Of(
        chunk.subspan(offset, std::min<size_t>(kMerkleBlockBytes, chunk.size() - offset))));
  }
  return MerkleRoot(leaves);
}

TEST(ChunkDigestTest, OneBlockChunkIsItsPlainSha256) {
  std::vector<uint8_t> data = RandomBytes(kMerkleBlockBytes, 1);
  for (auto engine : {ChunkDigester::Engine::kMultiBuffer, ChunkDigester::Engine::kOpenSsl}) {
    ChunkDigester digester(engine);
    EXPECT_EQ(digester.DigestChunk(data), Sha256::Of(absl::MakeConstSpan(data)));
    EXPECT_EQ(digester.DigestChunk(Span(data, 0, 3)), Sha256::Of(Span(data, 0, 3)));
  }
}

TEST(ChunkDigestTest, TwoBlocksAreJoinedByTheInteriorRule) {
  std::vector<uint8_t> data = RandomBytes(kMerkleBlockBytes + 1, 2);
  Sha256Digest left = Sha256::Of(Span(data, 0, kMerkleBlockBytes));
  Sha256Digest right = Sha256::Of(Span(data, kMerkleBlockBytes, 1));
  std::vector<uint8_t> node = {0x01};
  node.insert(node.end(), left.begin(), left.end());
  node.insert(node.end(), right.begin(), right.end());
  ChunkDigester digester;
  EXPECT_EQ(digester.DigestChunk(data), Sha256::Of(absl::MakeConstSpan(node)));
}

TEST(ChunkDigestTest, EveryEngineMatchesTheReferenceAtAwkwardLengths) {
  std::vector<uint8_t> data = RandomBytes(4 * 1024 * 1024 + 99, 3);
  ChunkDigester best(ChunkDigester::Engine::kMultiBuffer);
  ChunkDigester openssl(ChunkDigester::Engine::kOpenSsl);
  std::printf("engine: %s\n", std::string(best.engine_name()).c_str());
  for (size_t length :
       {size_t{1}, size_t{55}, size_t{56}, size_t{63}, size_t{64}, size_t{65}, size_t{16383},
        size_t{16384}, size_t{16385}, size_t{5 * 16384 + 7}, size_t{15 * 16384}, size_t{16 * 16384},
        size_t{17 * 16384 + 1}, size_t{256 * 1024 - 1}, size_t{1024 * 1024}, data.size()}) {
    for (size_t offset : {size_t{0}, size_t{1}, size_t{13}}) {
      if (offset + length > data.size()) continue;
      absl::Span<const uint8_t> chunk = Span(data, offset, length);
      Sha256Digest expected = ReferenceDigest(chunk);
      EXPECT_EQ(best.DigestChunk(chunk), expected) << length << " at +" << offset;
      EXPECT_EQ(openssl.DigestChunk(chunk), expected) << length << " at +" << offset;
    }
  }
}

TEST(ChunkDigestTest, HashBlocksGivesEachLeafInOrder) {
  std::vector<uint8_t> data = RandomBytes(37 * kMerkleBlockBytes + 500, 4);
  ChunkDigester digester;
  std::vector<Sha256Digest> blocks(MerkleBlockCount(data.size()));
  digester.HashBlocks(data, absl::MakeSpan(blocks));
  ASSERT_EQ(blocks.size(), 38u);
  for (size_t i = 0; i < blocks.size(); ++i) {
    size_t offset = i * kMerkleBlockBytes;
    EXPECT_EQ(
        blocks[i],
        Sha256::Of(Span(data, offset, std::min<size_t>(kMerkleBlockBytes, data.size() - offset))))
        << i;
  }
}

TEST(ChunkDigestTest, BatchedChunksMatchOneByOne) {
  std::vector<uint8_t> data = RandomBytes(3 * 1024 * 1024, 5);
  std::vector<absl::Span<const uint8_t>> chunks;
  std::mt19937_64 rng(6);
  size_t offset = 0;
  while (offset < data.size()) {
    size_t length = std::min<size_t>(1 + rng() % (300 * 1024), data.size() - offset);
    chunks.push_back(Span(data, offset, length));
    offset += length;
  }
  ChunkDigester digester;
  std::vector<Sha256Digest> batched(chunks.size());
  digester.DigestChunks(chunks, absl::MakeSpan(batched));
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(batched[i], ReferenceDigest(chunks[i])) << i;
  }
}

// The file root over chunk digests equals the root over every block: a
// chunk is an aligned, complete subtree for every power-of-two chunk size.
TEST(ChunkDigestTest, FileRootIsTheSameOverChunksOrBlocks) {
  std::vector<uint8_t> data = RandomBytes(2 * 1024 * 1024 + 3 * kMerkleBlockBytes + 11, 7);
  ChunkDigester digester;
  for (size_t size : {size_t{1}, size_t{kMerkleBlockBytes}, size_t{5 * kMerkleBlockBytes + 1},
                      size_t{1024 * 1024}, data.size()}) {
    std::vector<Sha256Digest> blocks(MerkleBlockCount(size));
    digester.HashBlocks(Span(data, 0, size), absl::MakeSpan(blocks));
    const Sha256Digest by_blocks = MerkleRoot(blocks);
    for (size_t chunk_size : {size_t{16 * 1024}, size_t{32 * 1024}, size_t{64 * 1024},
                              size_t{256 * 1024}, size_t{1024 * 1024}}) {
      std::vector<Sha256Digest> chunk_digests;
      for (size_t offset = 0; offset < size; offset += chunk_size) {
        chunk_digests.push_back(
            digester.DigestChunk(Span(data, offset, std::min(chunk_size, size - offset))));
      }
      EXPECT_EQ(MerkleRoot(chunk_digests), by_blocks) << size << " / " << chunk_size;
    }
  }
}

// The library reads with wide vector loads: a chunk that ends where the
// mapping ends must not be read past (a PROT_NONE page follows it).
TEST(ChunkDigestTest, NeverReadsPastTheEndOfTheChunk) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t usable = 64 * page;
  void* map =
      ::mmap(nullptr, usable + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  uint8_t* base = static_cast<uint8_t*>(map);
  ASSERT_EQ(::mprotect(base + usable, page, PROT_NONE), 0);
  std::vector<uint8_t> data = RandomBytes(usable, 8);
  std::memcpy(base, data.data(), usable);
  ChunkDigester digester;
  for (size_t length : {size_t{1}, size_t{63}, size_t{100}, size_t{16384 + 9}, usable}) {
    absl::Span<const uint8_t> chunk(base + usable - length, length);
    EXPECT_EQ(digester.DigestChunk(chunk), ReferenceDigest(chunk)) << length;
  }
  ::munmap(map, usable + page);
}

TEST(ChunkDigestTest, ProcessDefaultPicksTheEngine) {
  ChunkDigester::SetProcessDefault(ChunkDigester::Engine::kOpenSsl);
  EXPECT_EQ(ChunkDigester().engine_name(), "openssl");
  ChunkDigester::SetProcessDefault(ChunkDigester::Engine::kMultiBuffer);
  EXPECT_EQ(ChunkDigester().engine_name(),
            ChunkDigester(ChunkDigester::Engine::kMultiBuffer).engine_name());
}

TEST(ChunkDigestTest, EmptyChunkIsTheEmptyStringDigest) {
  ChunkDigester digester;
  EXPECT_EQ(digester.DigestChunk({}), Sha256::Of(std::string_view()));
}

}  // namespace
}  // namespace pytorrent::peer
