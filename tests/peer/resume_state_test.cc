#include "peer/storage/resume_state.h"

#include <fstream>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

std::string Tmp() { return std::string(getenv("TEST_TMPDIR")); }

TEST(ResumeStateTest, SetTestCountAndWireBitOrder) {
  ResumeState s(Sha256::Of("root"), 10);
  s.Set(0);
  s.Set(9);
  s.Set(9);
  s.Set(10);  // out of range: ignored
  EXPECT_EQ(s.CountSet(), 2u);
  EXPECT_TRUE(s.Test(0));
  EXPECT_FALSE(s.Test(1));
  EXPECT_EQ(static_cast<uint8_t>(s.bits()[0]), 0x80);
  EXPECT_EQ(static_cast<uint8_t>(s.bits()[1]), 0x40);
}

TEST(ResumeStateTest, SaveLoadRoundTrip) {
  Sha256Digest root = Sha256::Of("file");
  ResumeState s(root, 1000);
  for (uint32_t i = 0; i < 1000; i += 3) s.Set(i);
  std::string path = Tmp() + "/a.resume";
  ASSERT_TRUE(s.Save(path).ok());
  absl::StatusOr<ResumeState> back = ResumeState::Load(path, root, 1000);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->CountSet(), s.CountSet());
  EXPECT_EQ(back->bits(), s.bits());
}

TEST(ResumeStateTest, MissingFileIsNotFound) {
  EXPECT_EQ(ResumeState::Load(Tmp() + "/none.resume", Sha256::Of("x"), 4).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ResumeStateTest, TruncatedOrCorruptedFileIsRejected) {
  Sha256Digest root = Sha256::Of("file");
  ResumeState s(root, 77);
  s.Set(5);
  std::string bytes = s.Encode();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(ResumeState::Decode(bytes.substr(0, n), root, 77).status().code(),
              absl::StatusCode::kDataLoss)
        << n;
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 1;
    EXPECT_FALSE(ResumeState::Decode(bad, root, 77).ok()) << i;
  }
  std::string path = Tmp() + "/trunc.resume";
  std::ofstream(path, std::ios::binary) << bytes.substr(0, 20);
  EXPECT_EQ(ResumeState::Load(path, root, 77).status().code(), absl::StatusCode::kDataLoss);
  std::ofstream(path, std::ios::binary) << bytes << "extra";
  EXPECT_EQ(ResumeState::Load(path, root, 77).status().code(), absl::StatusCode::kDataLoss);
}

TEST(ResumeStateTest, StateOfAnotherFileIsFailedPrecondition) {
  Sha256Digest root = Sha256::Of("file");
  std::string bytes = ResumeState(root, 16).Encode();
  EXPECT_EQ(ResumeState::Decode(bytes, Sha256::Of("other"), 16).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ResumeState::Decode(bytes, root, 17).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pytorrent::peer
