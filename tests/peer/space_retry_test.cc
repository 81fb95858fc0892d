#include "peer/space_retry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Sha256Digest kFile = {1};
const Sha256Digest kOther = {2};
const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

TEST(SpaceRetryTest, OnlyFailuresForSpaceWait) {
  EXPECT_TRUE(SpaceRetry::IsForSpace(absl::ResourceExhaustedError("disk full writing a chunk")));
  EXPECT_FALSE(SpaceRetry::IsForSpace(absl::UnavailableError("no peer answered")));
  EXPECT_FALSE(SpaceRetry::IsForSpace(absl::DataLossError("whole-file SHA-256")));
  EXPECT_FALSE(SpaceRetry::IsForSpace(absl::OkStatus()));
}

TEST(SpaceRetryTest, RetryIsDueAfterTheFirstWaitAndTakenOnce) {
  SpaceRetry retry({.first_wait = absl::Seconds(1), .max_wait = absl::Seconds(30)});
  EXPECT_EQ(retry.OnFailedForSpace(kFile, kStart), absl::Seconds(1));
  EXPECT_THAT(retry.TakeDue(kStart + absl::Milliseconds(999)), IsEmpty());
  EXPECT_THAT(retry.TakeDue(kStart + absl::Seconds(1)), ElementsAre(kFile));
  EXPECT_THAT(retry.TakeDue(kStart + absl::Seconds(100)), IsEmpty());
  EXPECT_TRUE(retry.Pending(kFile));  // being retried
}

TEST(SpaceRetryTest, EachFailureForSpaceDoublesTheWaitUpToTheCap) {
  SpaceRetry retry({.first_wait = absl::Seconds(1), .max_wait = absl::Seconds(5)});
  absl::Time now = kStart;
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 5; ++i) {
    waits.push_back(retry.OnFailedForSpace(kFile, now));
    now += waits.back();
    EXPECT_THAT(retry.TakeDue(now), ElementsAre(kFile));
  }
  EXPECT_THAT(waits, ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                 absl::Seconds(5), absl::Seconds(5)));
  EXPECT_EQ(retry.Failures(kFile), 5u);
}

TEST(SpaceRetryTest, ForgottenDownloadsAreNotRetriedAndStartOverWhenTheyFailAgain) {
  SpaceRetry retry({.first_wait = absl::Seconds(1), .max_wait = absl::Seconds(30)});
  retry.OnFailedForSpace(kFile, kStart);
  retry.OnFailedForSpace(kFile, kStart);
  retry.Forget(kFile);  // completed, cancelled, or failed for another reason
  EXPECT_FALSE(retry.Pending(kFile));
  EXPECT_THAT(retry.TakeDue(kStart + absl::Hours(1)), IsEmpty());
  EXPECT_EQ(retry.OnFailedForSpace(kFile, kStart), absl::Seconds(1));
}

TEST(SpaceRetryTest, DownloadsWaitIndependently) {
  SpaceRetry retry({.first_wait = absl::Seconds(1), .max_wait = absl::Seconds(30)});
  retry.OnFailedForSpace(kFile, kStart);
  retry.OnFailedForSpace(kOther, kStart + absl::Seconds(3));
  EXPECT_THAT(retry.TakeDue(kStart + absl::Seconds(2)), ElementsAre(kFile));
  EXPECT_THAT(retry.TakeDue(kStart + absl::Seconds(4)), ElementsAre(kOther));
}

}  // namespace
}  // namespace pytorrent::peer
