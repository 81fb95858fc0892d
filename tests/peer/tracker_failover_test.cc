#include "peer/tracker_failover.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pytorrent::peer {
namespace {

using ::testing::ElementsAre;

TEST(TrackerFailoverTest, CallsGoToTheFirstWhileItAnswers) {
  FakeTimeSource clock;
  TrackerFailover failover(2, {.turns_per_call = 3}, clock);
  EXPECT_EQ(failover.current(), 0u);
  EXPECT_THAT(failover.PlanCall(), ElementsAre(0, 1, 0));
  failover.OnAnswered(0);
  EXPECT_THAT(failover.PlanCall(), ElementsAre(0, 1, 0));
}

TEST(TrackerFailoverTest, ASilentCurrentMovesCallsToTheNextAndTheyStayThere) {
  FakeTimeSource clock;
  TrackerFailover failover(2, {.turns_per_call = 3, .hold_down = absl::Seconds(30)}, clock);
  failover.OnSilent(0);
  EXPECT_TRUE(failover.held_down(0));
  // The next call (or the rest of this one) starts at the other instance.
  EXPECT_THAT(failover.PlanCall(), ElementsAre(1, 0, 1));
  failover.OnAnswered(1);
  EXPECT_EQ(failover.current(), 1u);
  // No flapping back once the first is eligible again: the one answering
  // stays current.
  clock.Advance(absl::Seconds(31));
  EXPECT_FALSE(failover.held_down(0));
  EXPECT_THAT(failover.PlanCall(), ElementsAre(1, 0, 1));
}

TEST(TrackerFailoverTest, HeldDownInstancesComeLastOldestSilenceFirst) {
  FakeTimeSource clock;
  TrackerFailover failover(4, {.turns_per_call = 4}, clock);
  failover.OnSilent(1);
  clock.Advance(absl::Seconds(1));
  failover.OnSilent(0);
  EXPECT_THAT(failover.PlanCall(), ElementsAre(2, 3, 1, 0));
  failover.OnSilent(2);
  failover.OnSilent(3);
  // All silent: still a full plan, the one silent longest ago first.
  EXPECT_THAT(failover.PlanCall(), ElementsAre(1, 0, 2, 3));
}

TEST(TrackerFailoverTest, HoldDownEndsWithTime) {
  FakeTimeSource clock;
  TrackerFailover failover(3, {.turns_per_call = 3, .hold_down = absl::Seconds(10)}, clock);
  failover.OnSilent(1);
  EXPECT_THAT(failover.PlanCall(), ElementsAre(0, 2, 1));
  clock.Advance(absl::Seconds(9));
  EXPECT_THAT(failover.PlanCall(), ElementsAre(0, 2, 1));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(failover.PlanCall(), ElementsAre(0, 1, 2));
}

TEST(TrackerFailoverTest, AnAnswerClearsTheHoldDown) {
  FakeTimeSource clock;
  TrackerFailover failover(2, {}, clock);
  failover.OnSilent(0);
  failover.OnAnswered(0);
  EXPECT_FALSE(failover.held_down(0));
  EXPECT_EQ(failover.current(), 0u);
}

TEST(TrackerFailoverTest, RoundOrderStartsAtTheCurrentInstance) {
  FakeTimeSource clock;
  TrackerFailover failover(3, {.turns_per_call = 5}, clock);
  failover.OnAnswered(2);
  EXPECT_THAT(failover.PlanCall(), ElementsAre(2, 0, 1, 2, 0));
}

TEST(TrackerFailoverTest, OutOfRangeReportsAreIgnoredAndPlansNeverEmpty) {
  FakeTimeSource clock;
  TrackerFailover failover(1, {.turns_per_call = 0}, clock);
  failover.OnSilent(7);
  failover.OnAnswered(7);
  EXPECT_EQ(failover.current(), 0u);
  EXPECT_THAT(failover.PlanCall(), ElementsAre(0));
}

}  // namespace
}  // namespace pytorrent::peer
