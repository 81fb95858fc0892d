#include "peer/home_lock.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

std::string LockPath() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "home_lock";
  std::filesystem::create_directories(dir);
  return (dir / "node.lock").string();
}

TEST(HomeLockTest, ASecondHolderIsRefusedUntilTheFirstLetsGo) {
  const std::string path = LockPath();
  {
    absl::StatusOr<HomeLock> first = HomeLock::Acquire(path);
    ASSERT_TRUE(first.ok()) << first.status();
    // flock locks belong to the open file: a second open in this process
    // conflicts exactly as another process's would.
    absl::StatusOr<HomeLock> second = HomeLock::Acquire(path);
    EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
    EXPECT_NE(second.status().message().find("already running"), std::string::npos);
  }
  EXPECT_TRUE(HomeLock::Acquire(path).ok());
}

TEST(HomeLockTest, AMissingFolderIsAnError) {
  EXPECT_FALSE(HomeLock::Acquire("/nonexistent-folder-for-pytorrent/node.lock").ok());
}

}  // namespace
}  // namespace pytorrent::peer
