#include "peer/storage/partial_file.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

std::string Dir(const std::string& name) {
  std::string dir = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::filesystem::create_directories(dir + "/state");
  std::filesystem::create_directories(dir + "/downloads");
  return dir;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(PartialFileTest, PreallocatesWritesAndPublishes) {
  std::string dir = Dir("p1");
  auto file = PartialFile::Open(dir + "/state/x.part", 10);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE((*file)->reused());
  EXPECT_EQ(std::filesystem::file_size(dir + "/state/x.part"), 10u);
  ASSERT_TRUE((*file)->Write(5, Bytes("world")).ok());
  ASSERT_TRUE((*file)->Write(0, Bytes("hello")).ok());
  EXPECT_EQ((*file)->Write(8, Bytes("xyz")).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*(*file)->HashAll(), Sha256::Of("helloworld"));
  ASSERT_TRUE((*file)->Publish(dir + "/downloads", "hw.txt", false).ok());
  EXPECT_EQ(ReadAll(dir + "/downloads/hw.txt"), "helloworld");
  EXPECT_FALSE(std::filesystem::exists(dir + "/state/x.part"));
}

TEST(PartialFileTest, ReopenKeepsDataWhenSizeMatches) {
  std::string dir = Dir("p2");
  {
    auto file = PartialFile::Open(dir + "/state/y.part", 4);
    ASSERT_TRUE((*file)->Write(0, Bytes("abcd")).ok());
  }
  auto again = PartialFile::Open(dir + "/state/y.part", 4);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->reused());
  uint8_t buf[4];
  ASSERT_TRUE((*again)->Read(0, absl::MakeSpan(buf, 4)).ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 4), "abcd");
  auto resized = PartialFile::Open(dir + "/state/y.part", 8);
  EXPECT_FALSE((*resized)->reused());
}

// The file system has room, but the process may not grow a file that far
// (RLIMIT_FSIZE; a quota fails alike): a clear RESOURCE_EXHAUSTED, no file
// left behind. It was an OK status turned into a StatusOr (free space
// looked sufficient, so the space check said OK).
TEST(PartialFileTest, PreallocationRefusedWithFreeSpaceLeftIsResourceExhausted) {
  std::string dir = Dir("p_fsize");
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit limited = saved;
  limited.rlim_cur = 1 << 20;
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  auto file = PartialFile::Open(dir + "/state/big.part", 8 << 20);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kResourceExhausted) << file.status();
  EXPECT_NE(file.status().message().find("File too large"), absl::string_view::npos)
      << file.status();
  EXPECT_FALSE(std::filesystem::exists(dir + "/state/big.part"));
}

TEST(PartialFileTest, NeverOverwritesUnlessTold) {
  std::string dir = Dir("p3");
  std::ofstream(dir + "/downloads/keep.txt") << "original";
  auto file = PartialFile::Open(dir + "/state/z.part", 3);
  ASSERT_TRUE((*file)->Write(0, Bytes("new")).ok());
  EXPECT_EQ((*file)->Publish(dir + "/downloads", "keep.txt", false).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll(dir + "/downloads/keep.txt"), "original");
  ASSERT_TRUE((*file)->Publish(dir + "/downloads", "keep.txt", true).ok());
  EXPECT_EQ(ReadAll(dir + "/downloads/keep.txt"), "new");
}

TEST(PartialFileTest, RejectsUnsafeNames) {
  std::string dir = Dir("p4");
  auto file = PartialFile::Open(dir + "/state/w.part", 1);
  for (const char* name : {"../evil", "a/b", "..", ".", ""}) {
    EXPECT_EQ((*file)->Publish(dir + "/downloads", name, true).code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
  EXPECT_EQ((*file)->Publish(dir + "/downloads", std::string("a\0b", 3), true).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pytorrent::peer
