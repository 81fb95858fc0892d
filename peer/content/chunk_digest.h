#ifndef PYTORRENT_PEER_CONTENT_CHUNK_DIGEST_H_
#define PYTORRENT_PEER_CONTENT_CHUNK_DIGEST_H_

// Computes chunk digests as peer/merkle.h defines them: the Merkle root over
// SHA-256 of each 16 KiB block of the chunk (BEP 52's leaf size).
//
// Why blocks and not one SHA-256 per chunk: a single SHA-256 stream is bound
// by the latency of the CPU's SHA rounds (OpenSSL with SHA-NI: ~2 GB/s per
// core here), while independent blocks can be hashed side by side. Intel's
// multi-buffer library (Debian's libipsec-mb) hashes 16 blocks at once with
// AVX-512 or 2 with SHA-NI: 5.7 and 3.0 GB/s on this machine's cores, 2.9x
// and 1.5x OpenSSL. Every chunk a leecher receives is hashed once, so this
// is the largest single cost of a download (see peer/README.md).
//
// The multi-buffer engine is used when the library initialises on this CPU;
// otherwise (or with Engine::kOpenSsl, the tests' reference and the peer's
// --chunk-hash-engine=openssl) each block is hashed with OpenSSL. Both give
// identical digests.
//
// Example:
//   ChunkDigester digester;  // one per thread
//   Sha256Digest d = digester.DigestChunk(bytes);
//   if (d != manifest.chunk_hashes[i]) Reject();
//
// Thread-compatible: one instance per thread (it owns the library's state).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "common/sha256.h"

namespace pytorrent::peer {

// Leaf size of the Merkle tree: every chunk size is a power-of-two multiple.
inline constexpr uint32_t kMerkleBlockBytes = 16 * 1024;

// Number of blocks (leaves) in `size_bytes` bytes: ceil(size / 16 KiB).
constexpr uint64_t MerkleBlockCount(uint64_t size_bytes) {
  return (size_bytes + kMerkleBlockBytes - 1) / kMerkleBlockBytes;
}

namespace chunk_digest_internal {
struct Block;
}  // namespace chunk_digest_internal

class ChunkDigester {
 public:
  enum class Engine {
    kProcessDefault,  // what SetProcessDefault chose (kMultiBuffer unless told)
    kMultiBuffer,     // multi-buffer when the library supports this CPU, else OpenSSL
    kOpenSsl,         // one block at a time with OpenSSL (the reference)
  };

  explicit ChunkDigester(Engine engine = Engine::kProcessDefault);
  ~ChunkDigester();
  ChunkDigester(const ChunkDigester&) = delete;
  ChunkDigester& operator=(const ChunkDigester&) = delete;

  // SHA-256 of each 16 KiB block of `bytes` (the last one may be shorter),
  // in order. Precondition: out.size() == MerkleBlockCount(bytes.size()).
  void HashBlocks(absl::Span<const uint8_t> bytes, absl::Span<Sha256Digest> out);

  // The digest of one chunk: MerkleRoot of its block hashes. An empty span
  // gives SHA-256 of the empty string (there are no empty chunks).
  Sha256Digest DigestChunk(absl::Span<const uint8_t> chunk);

  // Digests of several chunks in one pass, so that chunks smaller than 16
  // blocks still fill the library's lanes. Precondition: out.size() ==
  // chunks.size().
  void DigestChunks(absl::Span<const absl::Span<const uint8_t>> chunks,
                    absl::Span<Sha256Digest> out);

  // "ipsec-mb avx512", "ipsec-mb sse", ... or "openssl" (for logs and
  // benchmark output).
  std::string_view engine_name() const;

  // The engine of digesters made with kProcessDefault from now on (the
  // peer's --chunk-hash-engine flag: A/B measurements and a way out should
  // the library misbehave on some CPU). Thread-safe.
  static void SetProcessDefault(Engine engine);

 private:
  struct MultiBuffer;
  // Hashes every block, multi-buffer when possible.
  void Hash(absl::Span<const chunk_digest_internal::Block> blocks);

  std::unique_ptr<MultiBuffer> multi_;  // null: OpenSSL
  std::vector<Sha256Digest> blocks_;    // scratch, reused
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_CONTENT_CHUNK_DIGEST_H_
