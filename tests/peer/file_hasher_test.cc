#include "peer/storage/file_hasher.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

TEST(FileHasherTest, HashesThePrefixAsItGrowsAndMatchesOneShot) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/hasher.bin";
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 7));
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  FileHasher hasher(fd, data.size(), 4096);
  // Written and announced in pieces, as verified chunks would be.
  for (size_t offset = 0; offset < data.size(); offset += 30000) {
    size_t length = std::min<size_t>(30000, data.size() - offset);
    ASSERT_EQ(::pwrite(fd, data.data() + offset, length, offset), static_cast<ssize_t>(length));
    hasher.AdvanceTo(offset + length);
  }
  absl::StatusOr<Sha256Digest> digest = hasher.Wait();
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, Sha256::Of(data));
  ::close(fd);
}

// The file on disk holds zeros past the first block; the digest still matches
// the real bytes, so the fed buffers were hashed instead of being read back.
TEST(FileHasherTest, FedBytesAreHashedWithoutReadingThemBack) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/fed.bin";
  std::string data;
  for (int i = 0; i < 4 * 4096; ++i) data.push_back(static_cast<char>(i * 13 + 1));
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, data.size()), 0);
  ASSERT_EQ(::pwrite(fd, data.data(), 4096, 0), 4096);  // block 0 only on disk
  auto owner = std::make_shared<std::string>(data);
  auto bytes = [&](size_t offset) {
    return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(owner->data()) + offset, 4096);
  };
  FileHasher hasher(fd, data.size(), 4096);
  // Out of order, as chunks leave the verifier; block 2 is not fed either, so
  // it is read from disk (zeros there would change the digest: write it).
  hasher.Feed(3 * 4096, bytes(3 * 4096), owner);
  hasher.Feed(1 * 4096, bytes(1 * 4096), owner);
  ASSERT_EQ(::pwrite(fd, data.data() + 2 * 4096, 4096, 2 * 4096), 4096);
  hasher.AdvanceTo(data.size());
  absl::StatusOr<Sha256Digest> digest = hasher.Wait();
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, Sha256::Of(data));
  ::close(fd);
}

TEST(FileHasherTest, BytesFedBehindTheAnnouncedPrefixAreIgnored) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/behind.bin";
  std::string data(8192, 'x');
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  FileHasher hasher(fd, data.size(), 4096);
  hasher.AdvanceTo(4096);
  // Wrong bytes for block 0, which may already be read from disk: dropped.
  auto wrong = std::make_shared<std::string>(4096, 'y');
  hasher.Feed(0, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(wrong->data()), 4096), wrong);
  hasher.AdvanceTo(data.size());
  EXPECT_EQ(*hasher.Wait(), Sha256::Of(data));
  ::close(fd);
}

TEST(FileHasherTest, ShortFileIsAnError) {
  std::string path = std::string(getenv("TEST_TMPDIR")) + "/short.bin";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_EQ(::write(fd, "abc", 3), 3);
  FileHasher hasher(fd, 10, 4096);
  hasher.AdvanceTo(10);
  EXPECT_EQ(hasher.Wait().status().code(), absl::StatusCode::kInternal);
  ::close(fd);
}

TEST(FileHasherTest, EmptyFileHashesAtOnce) {
  FileHasher hasher(-1, 0, 4096);
  EXPECT_EQ(*hasher.Wait(), Sha256::Of(std::string_view()));
}

}  // namespace
}  // namespace pytorrent::peer
