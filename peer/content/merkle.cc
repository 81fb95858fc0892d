#include "peer/content/merkle.h"

namespace pytorrent::peer {

Sha256Digest MerkleParent(const Sha256Digest& left, const Sha256Digest& right) {
  uint8_t buffer[1 + 32 + 32];
  buffer[0] = 0x01;
  std::copy(left.begin(), left.end(), buffer + 1);
  std::copy(right.begin(), right.end(), buffer + 33);
  return Sha256::Of(absl::MakeConstSpan(buffer, sizeof(buffer)));
}

namespace {

// Replaces `level` by the level above it.
void Reduce(std::vector<Sha256Digest>& level) {
  size_t out = 0;
  for (size_t i = 0; i < level.size(); i += 2) {
    level[out++] = (i + 1 < level.size()) ? MerkleParent(level[i], level[i + 1]) : level[i];
  }
  level.resize(out);
}

}  // namespace

Sha256Digest MerkleRoot(absl::Span<const Sha256Digest> leaves) {
  if (leaves.empty()) return Sha256::Of(std::string_view());
  std::vector<Sha256Digest> level(leaves.begin(), leaves.end());
  while (level.size() > 1) Reduce(level);
  return level[0];
}

absl::Status VerifyHashList(absl::Span<const Sha256Digest> leaves, const Sha256Digest& root) {
  if (MerkleRoot(leaves) != root) {
    return absl::DataLossError("chunk hash list does not match the Merkle root");
  }
  return absl::OkStatus();
}

std::vector<Sha256Digest> MerkleProof(absl::Span<const Sha256Digest> leaves, uint32_t index) {
  std::vector<Sha256Digest> proof;
  if (index >= leaves.size()) return proof;
  std::vector<Sha256Digest> level(leaves.begin(), leaves.end());
  size_t position = index;
  while (level.size() > 1) {
    size_t sibling = position ^ 1;
    if (sibling < level.size()) proof.push_back(level[sibling]);
    Reduce(level);
    position /= 2;
  }
  return proof;
}

bool VerifyMerkleProof(const Sha256Digest& leaf, uint32_t index, uint32_t leaf_count,
                       absl::Span<const Sha256Digest> proof, const Sha256Digest& root) {
  if (index >= leaf_count) return false;
  Sha256Digest node = leaf;
  uint64_t position = index;
  uint64_t width = leaf_count;
  size_t used = 0;
  while (width > 1) {
    uint64_t sibling = position ^ 1;
    if (sibling < width) {
      if (used >= proof.size()) return false;
      node = (position & 1) ? MerkleParent(proof[used], node) : MerkleParent(node, proof[used]);
      ++used;
    }
    position /= 2;
    width = (width + 1) / 2;
  }
  return used == proof.size() && node == root;
}

}  // namespace pytorrent::peer
