#include "peer/announcer.h"

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

AnnouncerOptions Options() {
  return {.interval = absl::Seconds(60),
          .chunk_interval = absl::Seconds(5),
          .retry = absl::Seconds(2),
          .scan_poll = absl::Milliseconds(100)};
}

TEST(AnnouncerTest, NothingBeforeTheFirstScanThenAtOnce) {
  Announcer announcer(Options());
  AnnounceInputs in{.scanned = false, .files_changed = true};
  EXPECT_FALSE(announcer.Due(in, kStart));
  EXPECT_EQ(announcer.NextCheck(in, kStart), kStart + absl::Milliseconds(100));
  in.scanned = true;
  EXPECT_TRUE(announcer.Due(in, kStart));
  EXPECT_EQ(announcer.NextCheck(in, kStart), kStart);
}

TEST(AnnouncerTest, EveryIntervalWhenNothingChanges) {
  Announcer announcer(Options());
  AnnounceInputs in{.scanned = true};
  ASSERT_TRUE(announcer.Due(in, kStart));  // the first one
  announcer.OnAnnounced(true, kStart);
  EXPECT_FALSE(announcer.Due(in, kStart + absl::Seconds(59)));
  EXPECT_EQ(announcer.NextCheck(in, kStart + absl::Seconds(1)), kStart + absl::Seconds(60));
  EXPECT_TRUE(announcer.Due(in, kStart + absl::Seconds(60)));
}

TEST(AnnouncerTest, AChangedFileSetGoesOutAtOnce) {
  Announcer announcer(Options());
  announcer.OnAnnounced(true, kStart);
  AnnounceInputs in{.scanned = true, .files_changed = true};
  EXPECT_TRUE(announcer.Due(in, kStart + absl::Milliseconds(1)));
}

TEST(AnnouncerTest, NewChunksAreAnnouncedAtMostEveryChunkInterval) {
  Announcer announcer(Options());
  announcer.OnAnnounced(true, kStart);
  AnnounceInputs in{.scanned = true, .chunks_changed = true};
  EXPECT_FALSE(announcer.Due(in, kStart + absl::Seconds(1)));
  EXPECT_EQ(announcer.NextCheck(in, kStart + absl::Seconds(1)), kStart + absl::Seconds(5));
  EXPECT_TRUE(announcer.Due(in, kStart + absl::Seconds(5)));
  announcer.OnAnnounced(true, kStart + absl::Seconds(5));
  EXPECT_FALSE(announcer.Due(in, kStart + absl::Seconds(9)));
}

TEST(AnnouncerTest, AFailureIsRetriedSoonButNotInATightLoop) {
  Announcer announcer(Options());
  AnnounceInputs in{.scanned = true};
  announcer.OnAnnounced(false, kStart);
  EXPECT_FALSE(announcer.Due(in, kStart + absl::Seconds(1)));
  EXPECT_EQ(announcer.NextCheck(in, kStart), kStart + absl::Seconds(2));
  EXPECT_TRUE(announcer.Due(in, kStart + absl::Seconds(2)));
  // A short interval wins over the retry delay.
  Announcer fast({.interval = absl::Seconds(1), .retry = absl::Seconds(2)});
  fast.OnAnnounced(false, kStart);
  EXPECT_TRUE(fast.Due(in, kStart + absl::Seconds(1)));
}

TEST(AnnouncerTest, RequestsArePagedAndOnlyTheFirstReplaces) {
  AnnounceIdentity who{
      .peer_id = 7, .peer_key = 9, .username = "alice", .chunk_port = 6881, .chunk_endpoint = "e"};
  std::vector<v1::FileAvailability> files(kFilesPerAnnounce * 2 + 1);
  for (size_t i = 0; i < files.size(); ++i) files[i].set_name("f" + std::to_string(i));
  std::vector<v1::AnnounceRequest> requests = AnnounceRequests(who, files);
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(requests[0].replace_files());
  EXPECT_FALSE(requests[1].replace_files());
  EXPECT_FALSE(requests[2].replace_files());
  EXPECT_EQ(requests[0].files_size(), static_cast<int>(kFilesPerAnnounce));
  EXPECT_EQ(requests[2].files_size(), 1);
  EXPECT_EQ(requests[2].files(0).name(), files.back().name());
  for (const auto& r : requests) {
    EXPECT_EQ(r.peer_id(), 7u);
    EXPECT_EQ(r.peer_key(), 9u);
    EXPECT_EQ(r.username(), "alice");
    EXPECT_EQ(r.chunk_port(), 6881u);
    EXPECT_EQ(r.chunk_endpoint(), "e");
  }
}

TEST(AnnouncerTest, AnEmptySetIsStillOneAnnounce) {
  std::vector<v1::AnnounceRequest> requests = AnnounceRequests(
      {.peer_id = 1, .peer_key = 2, .username = "bob", .chunk_port = 1, .chunk_endpoint = ""}, {});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].replace_files());
  EXPECT_EQ(requests[0].files_size(), 0);
}

}  // namespace
}  // namespace pytorrent::peer
