#include "peer/storage/line_log.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
}

TEST(LineLogTest, LinesFromOneThreadArriveWholeAndInOrder) {
  const std::string path = TempPath("ordered.log");
  {
    BackgroundExecutor disk(2);  // two workers: order must not depend on one
    LineLog log(path, disk);
    for (int i = 0; i < 2000; ++i) log.Append(absl::StrCat("line ", i, "\n"));
  }  // the executor runs every task before it goes
  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 2000u);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(lines[i], absl::StrCat("line ", i));
}

TEST(LineLogTest, AppendsToWhatIsThereAndTakesLinesFromManyThreads) {
  const std::string path = TempPath("shared.log");
  std::ofstream(path) << "from an earlier run\n";
  {
    BackgroundExecutor disk(2);
    LineLog log(path, disk);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 250; ++i) log.Append(absl::StrCat("thread ", t, " line ", i, "\n"));
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 1001u);
  EXPECT_EQ(lines[0], "from an earlier run");
  // Each thread's lines keep their order.
  std::vector<int> next(4, 0);
  for (size_t i = 1; i < lines.size(); ++i) {
    int t = lines[i][7] - '0';
    ASSERT_GE(t, 0);
    ASSERT_LT(t, 4);
    EXPECT_EQ(lines[i], absl::StrCat("thread ", t, " line ", next[t]));
    ++next[t];
  }
}

TEST(LineLogTest, AnUnwritableLogCountsLostLinesAndNeverThrows) {
  std::unique_ptr<LineLog> log;
  {
    BackgroundExecutor disk(1);
    log = std::make_unique<LineLog>(TempPath("no-such-folder/download.log"), disk);
    log->Append("lost\n");
    log->Append("lost too\n");
  }  // every task has run; the log no longer uses the executor
  EXPECT_EQ(log->lines_lost(), 2u);
}

}  // namespace
}  // namespace pytorrent::peer
