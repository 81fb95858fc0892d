#ifndef PYTORRENT_PEER_CONTENT_MERKLE_H_
#define PYTORRENT_PEER_CONTENT_MERKLE_H_

// The binary SHA-256 Merkle tree whose root identifies a file.
//
// Normative definition (the tracker and other languages rebuild it exactly):
//   - Level 0 (the leaves) is the list of block digests: the file is cut
//     into 16 KiB blocks (BEP 52's leaf size; the last block may be
//     shorter) and each leaf is SHA-256 of one block's bytes, in file order.
//     Leaves are used as they are (no prefix).
//   - Each higher level pairs the nodes of the level below left to right:
//       parent = SHA-256(0x01 || left || right)          (65 bytes hashed)
//     The 0x01 prefix marks interior nodes (RFC 6962 style).
//   - Odd levels: when a level has an odd number of nodes, its last node has
//     no partner and is PROMOTED unchanged to the next level (it is neither
//     duplicated nor hashed alone). Duplicating would let two different leaf
//     lists share a root (the Bitcoin CVE-2012-2459 ambiguity).
//   - The root is the single node of the top level. A file of one block:
//     the root is SHA-256 of the file. An empty file: SHA-256 of the empty
//     string.
//   - Chunks: a chunk (a power-of-two size >= 16 KiB) covers an aligned run
//     of blocks; its digest (a manifest's chunk hash) is the root of the
//     subtree over its blocks by the same rules (peer/chunk_digest.h). A
//     chunk is a complete subtree, and the last chunk's partial one promotes
//     exactly as the whole tree does, so MerkleRoot(chunk digests) ==
//     MerkleRoot(block digests): the functions below take chunk digests.
//
// Example:
//   Sha256Digest root = MerkleRoot(manifest.chunk_hashes);
//   if (absl::Status s = VerifyHashList(received_hashes, root); !s.ok()) drop();
//
// Pure functions; thread-safe.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/sha256.h"

namespace pytorrent::peer {

// SHA-256(0x01 || left || right).
Sha256Digest MerkleParent(const Sha256Digest& left, const Sha256Digest& right);

// The root over `leaves` as defined above.
Sha256Digest MerkleRoot(absl::Span<const Sha256Digest> leaves);

// OK if `leaves` rebuild exactly `root`; DATA_LOSS otherwise.
absl::Status VerifyHashList(absl::Span<const Sha256Digest> leaves, const Sha256Digest& root);

// The audit path of leaf `index`: the sibling of its node on each level from
// the bottom up, skipping levels where the node is promoted (no sibling).
// Precondition: index < leaves.size().
std::vector<Sha256Digest> MerkleProof(absl::Span<const Sha256Digest> leaves, uint32_t index);

// True if `leaf` at `index` of a tree with `leaf_count` leaves, combined with
// `proof`, yields `root`. False for any out-of-range input.
bool VerifyMerkleProof(const Sha256Digest& leaf, uint32_t index, uint32_t leaf_count,
                       absl::Span<const Sha256Digest> proof, const Sha256Digest& root);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_CONTENT_MERKLE_H_
