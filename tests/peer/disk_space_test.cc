#include "peer/storage/disk_space.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "peer/storage/partial_file.h"

namespace pytorrent::peer {
namespace {

std::string TempDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "disk_space";
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(DiskSpaceTest, EnoughSpaceIsOk) {
  EXPECT_TRUE(CheckFreeSpace(10, 10, "/x").ok());
  EXPECT_TRUE(CheckFreeSpace(0, 0, "/x").ok());
}

TEST(DiskSpaceTest, ShortageNamesWhatIsNeededAndWhatIsFree) {
  absl::Status s = CheckFreeSpace(64ull << 20, 40ull << 20, "/home/state");
  EXPECT_TRUE(absl::IsResourceExhausted(s));
  EXPECT_EQ(s.message(), "not enough disk space in /home/state: needs 64.0 MiB, 40.0 MiB free");
}

TEST(DiskSpaceTest, FormatsBytes) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(3ull << 30), "3.0 GiB");
}

TEST(DiskSpaceTest, FreeBytesOfARealFolder) {
  absl::StatusOr<uint64_t> free_bytes = FreeBytesAt(TempDir());
  ASSERT_TRUE(free_bytes.ok()) << free_bytes.status();
  EXPECT_GT(*free_bytes, 0u);
  EXPECT_FALSE(FreeBytesAt(TempDir() + "/missing/folder").ok());
}

TEST(DiskSpaceTest, APartialFileLargerThanTheDiskIsRefusedUpFrontAndLeavesNothing) {
  const std::string path = TempDir() + "/huge.part";
  auto file = PartialFile::Open(path, uint64_t{1} << 60);  // 1 EiB
  ASSERT_FALSE(file.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(file.status())) << file.status();
  EXPECT_NE(file.status().message().find("needs 1024.0 PiB"), std::string::npos) << file.status();
  EXPECT_NE(file.status().message().find(" free"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(DiskSpaceTest, APartialFileIsReallyAllocated) {
  const std::string path = TempDir() + "/real.part";
  auto file = PartialFile::Open(path, 4 << 20);
  ASSERT_TRUE(file.ok()) << file.status();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4 << 20);
  // Blocks on disk, not a sparse file (512-byte units).
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, uint64_t{4} << 20);
}

}  // namespace
}  // namespace pytorrent::peer
