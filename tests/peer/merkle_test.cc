#include "peer/content/merkle.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

std::vector<Sha256Digest> Leaves(int n) {
  std::vector<Sha256Digest> leaves;
  for (int i = 0; i < n; ++i) leaves.push_back(Sha256::Of("chunk " + std::to_string(i)));
  return leaves;
}

TEST(MerkleTest, EmptyListHasEmptyStringDigestAsRoot) {
  EXPECT_EQ(MerkleRoot({}), Sha256::Of(std::string_view()));
}

TEST(MerkleTest, SingleLeafIsTheRoot) {
  auto leaves = Leaves(1);
  EXPECT_EQ(MerkleRoot(leaves), leaves[0]);
}

TEST(MerkleTest, ParentIsPrefixedHashOfBothChildren) {
  auto leaves = Leaves(2);
  std::string buffer(1, '\x01');
  buffer.append(reinterpret_cast<const char*>(leaves[0].data()), 32);
  buffer.append(reinterpret_cast<const char*>(leaves[1].data()), 32);
  EXPECT_EQ(MerkleRoot(leaves), Sha256::Of(buffer));
}

TEST(MerkleTest, OddLastNodeIsPromotedNotDuplicated) {
  auto leaves = Leaves(3);
  Sha256Digest expected = MerkleParent(MerkleParent(leaves[0], leaves[1]), leaves[2]);
  EXPECT_EQ(MerkleRoot(leaves), expected);
  // Duplicating the last leaf must give a different root (no CVE-2012-2459 ambiguity).
  auto four = leaves;
  four.push_back(leaves[2]);
  EXPECT_NE(MerkleRoot(four), MerkleRoot(leaves));
}

TEST(MerkleTest, FiveLeavesKnownShape) {
  auto l = Leaves(5);
  Sha256Digest left = MerkleParent(MerkleParent(l[0], l[1]), MerkleParent(l[2], l[3]));
  EXPECT_EQ(MerkleRoot(l), MerkleParent(left, l[4]));
}

TEST(MerkleTest, VerifyHashListAcceptsOriginalRejectsTampered) {
  auto leaves = Leaves(7);
  Sha256Digest root = MerkleRoot(leaves);
  EXPECT_TRUE(VerifyHashList(leaves, root).ok());
  auto tampered = leaves;
  tampered[4][0] ^= 1;
  EXPECT_EQ(VerifyHashList(tampered, root).code(), absl::StatusCode::kDataLoss);
  auto reordered = leaves;
  std::swap(reordered[0], reordered[1]);
  EXPECT_EQ(VerifyHashList(reordered, root).code(), absl::StatusCode::kDataLoss);
  auto shorter = leaves;
  shorter.pop_back();
  EXPECT_EQ(VerifyHashList(shorter, root).code(), absl::StatusCode::kDataLoss);
}

TEST(MerkleTest, ProofsVerifyForEveryLeafOfSeveralSizes) {
  for (int n : {1, 2, 3, 4, 5, 8, 13, 100}) {
    auto leaves = Leaves(n);
    Sha256Digest root = MerkleRoot(leaves);
    for (int i = 0; i < n; ++i) {
      auto proof = MerkleProof(leaves, i);
      EXPECT_TRUE(VerifyMerkleProof(leaves[i], i, n, proof, root)) << n << " " << i;
      Sha256Digest wrong = leaves[i];
      wrong[31] ^= 0x80;
      EXPECT_FALSE(VerifyMerkleProof(wrong, i, n, proof, root));
      if (n > 1) {
        EXPECT_FALSE(VerifyMerkleProof(leaves[i], (i + 1) % n, n, proof, root));
      }
    }
  }
}

TEST(MerkleTest, ProofRejectsOutOfRangeAndTamperedPath) {
  auto leaves = Leaves(6);
  Sha256Digest root = MerkleRoot(leaves);
  auto proof = MerkleProof(leaves, 2);
  EXPECT_FALSE(VerifyMerkleProof(leaves[2], 6, 6, proof, root));
  proof[0][0] ^= 1;
  EXPECT_FALSE(VerifyMerkleProof(leaves[2], 2, 6, proof, root));
  proof.pop_back();
  EXPECT_FALSE(VerifyMerkleProof(leaves[2], 2, 6, proof, root));
}

}  // namespace
}  // namespace pytorrent::peer
