#include "peer/storage/resume_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

std::string Tmp() { return std::string(getenv("TEST_TMPDIR")); }

TEST(ResumeWriterTest, FlushMakesTheNewestSnapshotDurable) {
  int fd = ::open((Tmp() + "/data.part").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  std::string path = Tmp() + "/w.resume";
  Sha256Digest root = Sha256::Of("f");
  ResumeState state(root, 100);
  {
    ResumeWriter writer(fd, path);
    for (uint32_t i = 0; i < 50; ++i) {
      state.Set(i);
      writer.Submit(state);
    }
    writer.Flush();
    absl::StatusOr<ResumeState> saved = ResumeState::Load(path, root, 100);
    ASSERT_TRUE(saved.ok()) << saved.status();
    EXPECT_EQ(saved->CountSet(), 50u);
    state.Set(99);
    writer.Submit(state);
  }  // destructor flushes
  EXPECT_EQ(ResumeState::Load(path, root, 100)->CountSet(), 51u);
  ::close(fd);
}

TEST(ResumeWriterTest, SubmitAfterStopIsIgnored) {
  int fd = ::open((Tmp() + "/data2.part").c_str(), O_RDWR | O_CREAT, 0644);
  std::string path = Tmp() + "/stopped.resume";
  ResumeWriter writer(fd, path);
  writer.Stop();
  writer.Submit(ResumeState(Sha256::Of("g"), 8));
  writer.Flush();
  EXPECT_EQ(::access(path.c_str(), F_OK), -1);
  ::close(fd);
}

TEST(ResumeWriterTest, FailedSaveIsCountedNotFatal) {
  int fd = ::open((Tmp() + "/data3.part").c_str(), O_RDWR | O_CREAT, 0644);
  ResumeWriter writer(fd, Tmp() + "/no/such/dir/x.resume");
  writer.Submit(ResumeState(Sha256::Of("h"), 8));
  writer.Flush();
  EXPECT_EQ(writer.failures(), 1);
  ::close(fd);
}

}  // namespace
}  // namespace pytorrent::peer
