// admin/download_stopwatch over a fake clock: the finished bar's numbers.

#include "admin/download_stopwatch.h"

#include "gtest/gtest.h"

namespace pytorrent::admin {
namespace {

v1::DownloadProgress Progress(v1::DownloadState state, uint64_t bytes_done) {
  v1::DownloadProgress p;
  p.set_state(state);
  p.set_size_bytes(20'000'000);
  p.set_bytes_done(bytes_done);
  return p;
}

TEST(DownloadStopwatchTest, TimesFromStartToFinishAndCountsTheBytesThatArrived) {
  FakeTimeSource clock;
  DownloadStopwatch stopwatch(clock);
  clock.Advance(absl::Milliseconds(300));  // StartDownload + first snapshot
  stopwatch.Observe(Progress(v1::DOWNLOAD_STATE_DOWNLOADING, 0));
  clock.Advance(absl::Seconds(4));
  stopwatch.Observe(Progress(v1::DOWNLOAD_STATE_DOWNLOADING, 10'000'000));
  clock.Advance(absl::Milliseconds(3'700));
  const v1::DownloadProgress last = Progress(v1::DOWNLOAD_STATE_COMPLETED, 20'000'000);
  stopwatch.Observe(last);
  const DownloadSummary summary = stopwatch.Finish(last);
  EXPECT_EQ(summary.bytes, 20'000'000u);
  EXPECT_EQ(summary.elapsed, absl::Seconds(8));
  EXPECT_EQ(AverageRate(summary), 2'500'000u);
}

TEST(DownloadStopwatchTest, ResumedPartIsNotCounted) {
  FakeTimeSource clock;
  DownloadStopwatch stopwatch(clock);
  stopwatch.Observe(Progress(v1::DOWNLOAD_STATE_DOWNLOADING, 15'000'000));
  clock.Advance(absl::Seconds(2));
  const v1::DownloadProgress last = Progress(v1::DOWNLOAD_STATE_COMPLETED, 20'000'000);
  stopwatch.Observe(last);
  EXPECT_EQ(stopwatch.Finish(last).bytes, 5'000'000u);
  EXPECT_EQ(AverageRate(stopwatch.Finish(last)), 2'500'000u);
}

TEST(DownloadStopwatchTest, AlreadyCompleteFirstSnapshotCountsTheWholeFile) {
  FakeTimeSource clock;
  DownloadStopwatch stopwatch(clock);
  clock.Advance(absl::Milliseconds(40));
  const v1::DownloadProgress last = Progress(v1::DOWNLOAD_STATE_COMPLETED, 20'000'000);
  stopwatch.Observe(last);
  EXPECT_EQ(stopwatch.Finish(last).bytes, 20'000'000u);
  EXPECT_EQ(stopwatch.Finish(last).elapsed, absl::Milliseconds(40));
}

TEST(DownloadStopwatchTest, NoUpdateAtAllStillGivesASummary) {
  FakeTimeSource clock;
  DownloadStopwatch stopwatch(clock);
  clock.Advance(absl::Seconds(1));
  const DownloadSummary summary =
      stopwatch.Finish(Progress(v1::DOWNLOAD_STATE_COMPLETED, 20'000'000));
  EXPECT_EQ(summary.bytes, 20'000'000u);
  EXPECT_EQ(summary.elapsed, absl::Seconds(1));
}

}  // namespace
}  // namespace pytorrent::admin
