#include "peer/shared_folder.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

class SharedFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::string(getenv("TEST_TMPDIR")) + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(base_);
    dir_ = base_ + "/shared";
    std::filesystem::create_directories(dir_);
    cache_ = std::make_unique<ManifestCache>(base_ + "/cache");
  }
  // Writes a file whose mtime is `age` before `now_`.
  void Write(const std::string& name, const std::string& contents, absl::Duration age) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    struct timespec t = absl::ToTimespec(now_ - age);
    struct timespec times[2] = {t, t};
    ::utimensat(AT_FDCWD, path.c_str(), times, 0);
  }
  std::string base_, dir_;
  std::unique_ptr<ManifestCache> cache_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(SharedFolderTest, NewStableFileIsAddedOnceAndUnchangedFilesAreNotRehashed) {
  Write("a.txt", "hello", absl::Seconds(10));
  SharedFolder folder(dir_, *cache_, kMinChunkSizeBytes);
  SharedFolder::Changes first = folder.Rescan(now_);
  ASSERT_EQ(first.added.size(), 1u);
  EXPECT_EQ(first.added[0].name, "a.txt");
  EXPECT_EQ(first.added[0].manifest.file_sha256, Sha256::Of("hello"));
  EXPECT_EQ(first.hashed, 1);
  SharedFolder::Changes second = folder.Rescan(now_ + absl::Seconds(1));
  EXPECT_TRUE(second.added.empty());
  EXPECT_TRUE(second.removed.empty());
  // A new SharedFolder (a restart) finds the manifest in the cache.
  SharedFolder restarted(dir_, *cache_, kMinChunkSizeBytes);
  SharedFolder::Changes again = restarted.Rescan(now_);
  ASSERT_EQ(again.added.size(), 1u);
  EXPECT_EQ(again.hashed, 0);
}

TEST_F(SharedFolderTest, FileStillBeingWrittenWaitsUntilStable) {
  Write("growing.bin", "part", absl::Milliseconds(100));
  SharedFolder folder(dir_, *cache_, kMinChunkSizeBytes, absl::Seconds(1));
  SharedFolder::Changes changes = folder.Rescan(now_);
  EXPECT_TRUE(changes.added.empty());
  EXPECT_EQ(changes.unstable, 1);
  changes = folder.Rescan(now_ + absl::Seconds(2));
  ASSERT_EQ(changes.added.size(), 1u);
}

TEST_F(SharedFolderTest, ChangedFileIsAddedAgainUnderItsPathWithTheNewRoot) {
  Write("doc.txt", "v1", absl::Seconds(10));
  SharedFolder folder(dir_, *cache_, kMinChunkSizeBytes);
  Sha256Digest old_root = folder.Rescan(now_).added.at(0).manifest.root;
  Write("doc.txt", "version two", absl::Seconds(5));
  SharedFolder::Changes changes = folder.Rescan(now_);
  ASSERT_EQ(changes.added.size(), 1u);
  EXPECT_EQ(changes.added[0].path, dir_ + "/doc.txt");
  EXPECT_EQ(changes.added[0].manifest.file_sha256, Sha256::Of("version two"));
  EXPECT_NE(changes.added[0].manifest.root, old_root);
  // The path moves to the new root (FileBook::AddSharedPath): not removed.
  EXPECT_TRUE(changes.removed.empty());
}

TEST_F(SharedFolderTest, RemovedFileIsWithdrawnAndHiddenFilesIgnored) {
  Write("gone.txt", "bye", absl::Seconds(10));
  Write(".partial.tmp", "hidden", absl::Seconds(10));
  SharedFolder folder(dir_, *cache_, kMinChunkSizeBytes);
  SharedFolder::Changes changes = folder.Rescan(now_);
  ASSERT_EQ(changes.added.size(), 1u);
  std::filesystem::remove(dir_ + "/gone.txt");
  changes = folder.Rescan(now_);
  ASSERT_EQ(changes.removed.size(), 1u);
  EXPECT_EQ(changes.removed[0], dir_ + "/gone.txt");
  EXPECT_EQ(folder.size(), 0u);
}

}  // namespace
}  // namespace pytorrent::peer
