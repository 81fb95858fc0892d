#include "peer/download_records.h"

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

Sha256Digest Root(uint8_t id) {
  Sha256Digest root{};
  root.fill(id);
  return root;
}

v1::DownloadProgress Progress(uint64_t id, v1::DownloadState state, uint64_t rate = 0) {
  v1::DownloadProgress p;
  p.set_download_id(id);
  p.set_state(state);
  p.set_rate_bytes_per_s(rate);
  return p;
}

TEST(DownloadRecordsTest, ARootHasOneActiveDownloadUntilItEnds) {
  DownloadRecords records(10);
  EXPECT_FALSE(records.ActiveFor(Root(1)).has_value());
  const uint64_t id = records.Begin(Root(1), "a.bin");
  EXPECT_EQ(id, 1u);
  EXPECT_EQ(records.ActiveFor(Root(1)), id);
  const DownloadSnapshot* snapshot = records.Find(id);
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->version, 1u);
  EXPECT_EQ(snapshot->progress.state(), v1::DOWNLOAD_STATE_STARTING);
  EXPECT_EQ(snapshot->progress.name(), "a.bin");
  EXPECT_EQ(snapshot->progress.root_hash(), DigestToBytes(Root(1)));

  // An older download of the root ending does not free the newer one.
  records.EndActive(Root(1), id + 7);
  EXPECT_EQ(records.ActiveFor(Root(1)), id);
  records.EndActive(Root(1), id);
  EXPECT_FALSE(records.ActiveFor(Root(1)).has_value());
  EXPECT_EQ(records.Begin(Root(1), "a.bin"), 2u);  // a new id, never reused
}

TEST(DownloadRecordsTest, EachUpdateIsANewVersionWithItsCounters) {
  DownloadRecords records(10);
  const uint64_t id = records.Begin(Root(2), "b.bin");
  DownloadCounters counters;
  counters.chunks_fetched = 5;
  records.Update(Progress(id, v1::DOWNLOAD_STATE_DOWNLOADING, 1000), counters);
  EXPECT_EQ(records.Find(id)->version, 2u);
  EXPECT_EQ(records.Counters(id)->chunks_fetched, 5u);
  counters.chunks_fetched = 9;
  records.Update(Progress(id, v1::DOWNLOAD_STATE_DOWNLOADING, 3000), counters);
  EXPECT_EQ(records.Find(id)->version, 3u);
  EXPECT_EQ(records.Counters(id)->chunks_fetched, 9u);
  // Unknown ids are ignored, not created.
  records.Update(Progress(99, v1::DOWNLOAD_STATE_COMPLETED), counters);
  EXPECT_EQ(records.Find(99), nullptr);
  EXPECT_EQ(records.Counters(99), nullptr);
}

TEST(DownloadRecordsTest, ActivityCountsOnlyDownloadsNotFinished) {
  DownloadRecords records(10);
  const uint64_t a = records.Begin(Root(1), "a");
  const uint64_t b = records.Begin(Root(2), "b");
  const uint64_t c = records.Begin(Root(3), "c");
  records.Update(Progress(a, v1::DOWNLOAD_STATE_DOWNLOADING, 100), {});
  records.Update(Progress(b, v1::DOWNLOAD_STATE_VERIFYING, 20), {});
  records.Update(Progress(c, v1::DOWNLOAD_STATE_FAILED, 5), {});
  const DownloadRecords::Activity activity = records.CurrentActivity();
  EXPECT_EQ(activity.active, 2u);
  EXPECT_EQ(activity.rate_bytes_per_s, 120u);
}

TEST(DownloadRecordsTest, HistoryKeepsTheLastFinishedAndEveryDownloadInProgress) {
  DownloadRecords records(3);
  const uint64_t running = records.Begin(Root(100), "still running");
  records.Update(Progress(running, v1::DOWNLOAD_STATE_DOWNLOADING), {});
  std::vector<uint64_t> finished;
  for (uint8_t i = 0; i < 50; ++i) {
    const uint64_t id = records.Begin(Root(i), "f");
    records.Update(Progress(id, i % 3 == 0   ? v1::DOWNLOAD_STATE_COMPLETED
                                : i % 3 == 1 ? v1::DOWNLOAD_STATE_FAILED
                                             : v1::DOWNLOAD_STATE_CANCELLED),
                   {});
    records.EndActive(Root(i), id);
    finished.push_back(id);
    EXPECT_LE(records.snapshots().size(), 4u);  // bounded however many ran
  }
  EXPECT_NE(records.Find(running), nullptr);
  for (size_t i = 0; i + 3 < finished.size(); ++i) {
    EXPECT_EQ(records.Find(finished[i]), nullptr) << i;
    EXPECT_EQ(records.Counters(finished[i]), nullptr) << i;
  }
  for (size_t i = finished.size() - 3; i < finished.size(); ++i) {
    EXPECT_NE(records.Find(finished[i]), nullptr) << i;
  }
  // A finished download reporting again is not counted twice.
  records.Update(Progress(finished.back(), v1::DOWNLOAD_STATE_COMPLETED), {});
  EXPECT_NE(records.Find(finished[finished.size() - 3]), nullptr);
}

TEST(DownloadRecordsTest, NoHistoryForgetsADownloadAsItFinishes) {
  DownloadRecords records(0);
  const uint64_t id = records.Begin(Root(1), "a");
  records.Update(Progress(id, v1::DOWNLOAD_STATE_COMPLETED), {});
  EXPECT_EQ(records.Find(id), nullptr);
  EXPECT_TRUE(records.snapshots().empty());
}

}  // namespace
}  // namespace pytorrent::peer
