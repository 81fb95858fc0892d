#include "peer/file_hasher.h"

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
