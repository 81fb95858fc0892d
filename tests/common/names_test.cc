#include "common/names.h"

#include <string>

#include "gtest/gtest.h"

namespace pytorrent {
namespace {

TEST(NamesTest, AcceptsOrdinaryFileNames) {
  EXPECT_TRUE(ValidateFileName("song.mp3").ok());
  EXPECT_TRUE(ValidateFileName("a b (1).tar.gz").ok());
  EXPECT_TRUE(ValidateFileName("..hidden").ok());
}

TEST(NamesTest, RejectsDangerousFileNames) {
  EXPECT_FALSE(ValidateFileName("").ok());
  EXPECT_FALSE(ValidateFileName(".").ok());
  EXPECT_FALSE(ValidateFileName("..").ok());
  EXPECT_FALSE(ValidateFileName("../etc/passwd").ok());
  EXPECT_FALSE(ValidateFileName("dir/file").ok());
  EXPECT_FALSE(ValidateFileName("dir\\file").ok());
  EXPECT_FALSE(ValidateFileName(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateFileName("tab\there").ok());
  EXPECT_FALSE(ValidateFileName(std::string(256, 'x')).ok());
  EXPECT_EQ(ValidateFileName("a/b").code(), absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, Usernames) {
  EXPECT_TRUE(ValidateUsername("alice_01.x-y").ok());
  EXPECT_FALSE(ValidateUsername("").ok());
  EXPECT_FALSE(ValidateUsername("bad name").ok());
  EXPECT_FALSE(ValidateUsername("a/b").ok());
  EXPECT_FALSE(ValidateUsername(std::string(33, 'a')).ok());
}

}  // namespace
}  // namespace pytorrent
