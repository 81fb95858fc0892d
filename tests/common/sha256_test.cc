#include "common/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace pytorrent {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(ToHex(Sha256::Of(std::string_view(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256::Of(std::string_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShotAndResets) {
  Sha256 hasher;
  hasher.Update(std::string_view("a"));
  hasher.Update(std::string_view("bc"));
  EXPECT_EQ(hasher.Finish(), Sha256::Of(std::string_view("abc")));
  hasher.Update(std::string_view(""));
  EXPECT_EQ(hasher.Finish(), Sha256::Of(std::string_view("")));
}

TEST(Sha256Test, HexAndBytesRoundTrip) {
  Sha256Digest digest = Sha256::Of(std::string_view("abc"));
  Sha256Digest parsed{};
  ASSERT_TRUE(DigestFromHex(ToHex(digest), parsed));
  EXPECT_EQ(parsed, digest);
  ASSERT_TRUE(DigestFromBytes(DigestToBytes(digest), parsed));
  EXPECT_EQ(parsed, digest);
  EXPECT_FALSE(DigestFromHex("zz", parsed));
  EXPECT_FALSE(DigestFromHex(std::string(64, 'g'), parsed));
  EXPECT_FALSE(DigestFromBytes("short", parsed));
}

}  // namespace
}  // namespace pytorrent
