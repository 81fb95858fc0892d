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

// The demo's 64 MiB download from 3 seeders: every byte arrived before the
// CLI's first update, which already read 100% (the node was still checking
// the whole file), then COMPLETED. The bar showed "avg 0 B/s" while the
// downloads table showed the node's figure; both now show the node's.
TEST(DownloadStopwatchTest, DownloadCompleteBeforeTheFirstUpdateShowsTheNodesAverage) {
  FakeTimeSource clock;
  DownloadStopwatch stopwatch(clock);
  clock.Advance(absl::Milliseconds(180));
  v1::DownloadProgress all_there = Progress(v1::DOWNLOAD_STATE_DOWNLOADING, 20'000'000);
  stopwatch.Observe(all_there);
  clock.Advance(absl::Milliseconds(220));
  v1::DownloadProgress last = Progress(v1::DOWNLOAD_STATE_COMPLETED, 20'000'000);
  last.set_elapsed_ms(160);
  last.set_bytes_received(20'000'000);
  stopwatch.Observe(last);
  const DownloadSummary summary = stopwatch.Finish(last);
  EXPECT_EQ(summary.bytes, 20'000'000u);
  EXPECT_EQ(summary.elapsed, absl::Milliseconds(160));
  EXPECT_EQ(AverageRate(summary), 125'000'000u);
  EXPECT_EQ(RenderFinishedBar(ViewOf(last), summary, 4),
            "[####]  100.0%  avg 125.00 MB/s  took 0.1s");
}

TEST(DownloadStopwatchTest, NodeFiguresExcludeTheResumedPart) {
  FakeTimeSource clock;
  DownloadStopwatch stopwatch(clock);
  stopwatch.Observe(Progress(v1::DOWNLOAD_STATE_DOWNLOADING, 15'000'000));
  clock.Advance(absl::Seconds(9));
  v1::DownloadProgress last = Progress(v1::DOWNLOAD_STATE_COMPLETED, 20'000'000);
  last.set_elapsed_ms(2'000);
  last.set_bytes_received(5'000'000);
  EXPECT_EQ(AverageRate(stopwatch.Finish(last)), 2'500'000u);
}

}  // namespace
}  // namespace pytorrent::admin
