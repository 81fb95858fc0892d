#include "peer/transfer/serving_budget.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kChunk = 256 * 1024;
constexpr RequesterId kAlice{1};
constexpr RequesterId kBob{2};
const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

ServingBudgetOptions SmallBudget() {
  return {.total_bytes = 16 * kChunk,
          .initial_share_bytes = 2 * kChunk,
          .max_share_bytes = 8 * kChunk,
          .stall_timeout = absl::Seconds(10),
          .forget_after = absl::Seconds(60)};
}

// Charges chunks to `who` until refused; returns how many were granted.
int ChargeUntilRefused(ServingBudget& budget, RequesterId who, absl::Time now) {
  int granted = 0;
  while (budget.TryCharge(who, kChunk, now) == BudgetVerdict::kGranted) ++granted;
  return granted;
}

TEST(ServingBudgetTest, NewRequesterGetsItsInitialShareThenOverShare) {
  ServingBudget budget(SmallBudget());
  EXPECT_EQ(ChargeUntilRefused(budget, kAlice, kStart), 2);
  EXPECT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kOverShare);
  EXPECT_EQ(budget.HeldBy(kAlice), 2 * kChunk);
  EXPECT_EQ(budget.held_bytes(), 2 * kChunk);
}

TEST(ServingBudgetTest, DrainingEarnsAShareUpToTheMaximum) {
  ServingBudget budget(SmallBudget());
  absl::Time now = kStart;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(budget.TryCharge(kAlice, kChunk, now), BudgetVerdict::kGranted);
    budget.Release(kAlice, kChunk, /*drained=*/true, now);
    now += absl::Milliseconds(1);
  }
  EXPECT_EQ(budget.ShareOf(kAlice), 8 * kChunk);
  EXPECT_EQ(ChargeUntilRefused(budget, kAlice, now), 8);
}

TEST(ServingBudgetTest, BytesDroppedUnsentEarnNothing) {
  ServingBudget budget(SmallBudget());
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kGranted);
    budget.Release(kAlice, kChunk, /*drained=*/false, kStart);
  }
  EXPECT_EQ(budget.ShareOf(kAlice), 2 * kChunk);
  EXPECT_EQ(budget.held_bytes(), 0);
}

TEST(ServingBudgetTest, TotalBoundsAllRequestersTogether) {
  ServingBudgetOptions options = SmallBudget();
  options.total_bytes = 5 * kChunk;
  ServingBudget budget(options);
  EXPECT_EQ(ChargeUntilRefused(budget, kAlice, kStart), 2);
  EXPECT_EQ(ChargeUntilRefused(budget, kBob, kStart), 2);
  EXPECT_EQ(budget.TryCharge(RequesterId{3}, kChunk, kStart), BudgetVerdict::kGranted);
  EXPECT_EQ(budget.TryCharge(RequesterId{4}, kChunk, kStart), BudgetVerdict::kOverTotal);
  EXPECT_EQ(budget.held_bytes(), 5 * kChunk);
  EXPECT_EQ(budget.peak_held_bytes(), 5 * kChunk);
}

TEST(ServingBudgetTest, ManyNonReadersLeaveRoomForAReader) {
  // 64 requesters that never read take at most their initial share each; a
  // reader next to them is still served as fast as it drains.
  ServingBudget budget({.total_bytes = 128ll << 20,
                        .initial_share_bytes = 4 * kChunk,
                        .max_share_bytes = 64 * kChunk});
  for (uint64_t attacker = 100; attacker < 164; ++attacker) {
    ChargeUntilRefused(budget, RequesterId{attacker}, kStart);
  }
  EXPECT_LE(budget.held_bytes(), 64 * 4 * kChunk);
  absl::Time now = kStart;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(budget.TryCharge(kAlice, kChunk, now), BudgetVerdict::kGranted) << i;
    budget.Release(kAlice, kChunk, /*drained=*/true, now);
    now += absl::Milliseconds(1);
  }
}

// Earns `who` the maximum share (drains as much), then charges until refused.
int EarnThenHoard(ServingBudget& budget, RequesterId who, absl::Time now) {
  for (int i = 0; i < 8; ++i) {
    if (budget.TryCharge(who, kChunk, now) != BudgetVerdict::kGranted) break;
    budget.Release(who, kChunk, /*drained=*/true, now);
  }
  return ChargeUntilRefused(budget, who, now);
}

TEST(ServingBudgetTest, HoardersBeyondTheirInitialShareLeaveTheReserveToNewcomers) {
  ServingBudgetOptions options = SmallBudget();  // total 16 chunks, initial 2
  options.reserve_bytes = 4 * kChunk;
  ServingBudget budget(options);
  // Requesters that read a little, then stop: beyond their initial share
  // they fill at most total - reserve.
  EXPECT_EQ(EarnThenHoard(budget, RequesterId{10}, kStart), 8);
  EXPECT_EQ(EarnThenHoard(budget, RequesterId{11}, kStart), 4);  // up to 12 chunks
  EXPECT_EQ(EarnThenHoard(budget, RequesterId{12}, kStart), 2);  // its initial share only
  // A newcomer still gets its initial share, from the reserve; the total holds.
  EXPECT_EQ(ChargeUntilRefused(budget, kBob, kStart), 2);
  EXPECT_EQ(budget.held_bytes(), 16 * kChunk);
  EXPECT_EQ(budget.peak_held_bytes(), 16 * kChunk);

  // Without a reserve the first two hoarders take everything.
  ServingBudget no_reserve(SmallBudget());
  EXPECT_EQ(EarnThenHoard(no_reserve, RequesterId{10}, kStart), 8);
  EXPECT_EQ(EarnThenHoard(no_reserve, RequesterId{11}, kStart), 8);
  EXPECT_EQ(ChargeUntilRefused(no_reserve, kBob, kStart), 0);
}

// Drains `chunks` chunks through `who`, one at a time.
void Drain(ServingBudget& budget, RequesterId who, int chunks, absl::Time now) {
  for (int i = 0; i < chunks; ++i) {
    ASSERT_EQ(budget.TryCharge(who, kChunk, now), BudgetVerdict::kGranted) << i;
    budget.Release(who, kChunk, /*drained=*/true, now);
  }
}

// `count` requesters (ids 100, 101, …) that take their initial share of 2
// chunks and never drain.
void HoldInitialSharesAndNeverRead(ServingBudget& budget, int count) {
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(ChargeUntilRefused(budget, RequesterId{100u + static_cast<uint64_t>(i)}, kStart), 2)
        << i;
  }
}

TEST(ServingBudgetTest, TwoReadersSplitTheTotalEqually) {
  ServingBudgetOptions options = SmallBudget();  // max share 8 chunks
  options.total_bytes = 8 * kChunk;
  ServingBudget budget(options);
  Drain(budget, kAlice, 20, kStart);  // both earn the maximum share
  Drain(budget, kBob, 20, kStart);
  ASSERT_EQ(budget.TryCharge(kBob, kChunk, kStart), BudgetVerdict::kGranted);
  // Two holders that earned 8 chunks each in a total of 8: 4 each.
  EXPECT_EQ(budget.ShareOf(kAlice), 4 * kChunk);
  EXPECT_EQ(ChargeUntilRefused(budget, kAlice, kStart), 4);
  EXPECT_EQ(ChargeUntilRefused(budget, kBob, kStart), 3);
  EXPECT_EQ(budget.HeldBy(kAlice), budget.HeldBy(kBob));
  EXPECT_EQ(budget.held_bytes(), 8 * kChunk);
}

TEST(ServingBudgetTest, AReaderIsNotHeldToAnEqualSplitWithRequestersThatNeverRead) {
  // 12 requesters hold their initial share (2 chunks) and never drain; the
  // old rule split the total (64 chunks) equally among all 13 holders: 4
  // chunks each. A reader that earned 8 gets all of it: the others only
  // take the 24 chunks they can hold.
  ServingBudgetOptions options = SmallBudget();
  options.total_bytes = 64 * kChunk;
  ServingBudget budget(options);
  Drain(budget, kAlice, 20, kStart);
  HoldInitialSharesAndNeverRead(budget, 12);
  EXPECT_EQ(budget.ShareOf(kAlice), 8 * kChunk);
  EXPECT_EQ(ChargeUntilRefused(budget, kAlice, kStart), 8);
  EXPECT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kOverShare);
}

TEST(ServingBudgetTest, ReadersSplitWhatRequestersThatNeverReadLeave) {
  // 10 idle requesters hold 2 chunks each of a total of 32: two readers that
  // earned 8 chunks each split the 12 left, 6 each.
  ServingBudgetOptions options = SmallBudget();
  options.total_bytes = 32 * kChunk;
  ServingBudget budget(options);
  Drain(budget, kAlice, 20, kStart);
  Drain(budget, kBob, 20, kStart);
  HoldInitialSharesAndNeverRead(budget, 10);
  ASSERT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kGranted);
  ASSERT_EQ(budget.TryCharge(kBob, kChunk, kStart), BudgetVerdict::kGranted);
  EXPECT_EQ(budget.ShareOf(kAlice), 6 * kChunk);
  EXPECT_EQ(budget.ShareOf(kBob), 6 * kChunk);
  EXPECT_EQ(ChargeUntilRefused(budget, kAlice, kStart), 5);
  EXPECT_EQ(ChargeUntilRefused(budget, kBob, kStart), 5);
  EXPECT_EQ(budget.held_bytes(), 32 * kChunk);
}

TEST(ServingBudgetTest, AReaderNextToIdleRequestersStillLeavesTheReserveToANewcomer) {
  ServingBudgetOptions options = SmallBudget();  // initial share 2 chunks
  options.total_bytes = 20 * kChunk;
  options.reserve_bytes = 4 * kChunk;
  ServingBudget budget(options);
  Drain(budget, kAlice, 20, kStart);
  HoldInitialSharesAndNeverRead(budget, 6);
  // Alice's share is her earned 8 chunks (the idle ones take 12 of 20), but
  // beyond her initial share she fills at most total - reserve = 16.
  EXPECT_EQ(budget.ShareOf(kAlice), 8 * kChunk);
  EXPECT_EQ(ChargeUntilRefused(budget, kAlice, kStart), 4);
  EXPECT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kOverTotal);
  EXPECT_EQ(ChargeUntilRefused(budget, kBob, kStart), 2);  // from the reserve
  EXPECT_EQ(budget.held_bytes(), 18 * kChunk);
}

TEST(ServingBudgetTest, TheTotalIsNeverExceeded) {
  // Requesters that read at different paces and some that never read,
  // charging and draining in a fixed pseudo-random order.
  ServingBudgetOptions options = ServingBudgetFor(8);  // 32 chunks
  ServingBudget budget(options);
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  absl::Time now = kStart;
  for (int step = 0; step < 20000; ++step) {
    const RequesterId who{1 + next() % 40};
    const bool reader = static_cast<uint64_t>(who) % 4 != 0;
    if (reader && next() % 2 == 0) {
      budget.Release(who, kChunk, /*drained=*/true, now);
    } else {
      budget.TryCharge(who, kChunk, now);
    }
    ASSERT_LE(budget.held_bytes(), options.total_bytes) << step;
    now += absl::Milliseconds(1);
  }
  EXPECT_GT(budget.peak_held_bytes(), options.total_bytes - 2 * kChunk);
}

TEST(ServingBudgetTest, ARequesterThatDrainsNothingIsReportedStalledOnce) {
  ServingBudget budget(SmallBudget());
  ASSERT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kGranted);
  ASSERT_EQ(budget.TryCharge(kBob, kChunk, kStart), BudgetVerdict::kGranted);
  EXPECT_THAT(budget.TakeStalled(kStart + absl::Seconds(9)), IsEmpty());
  budget.Release(kBob, kChunk / 2, /*drained=*/true, kStart + absl::Seconds(9));
  EXPECT_THAT(budget.TakeStalled(kStart + absl::Seconds(10)), ElementsAre(kAlice));
  EXPECT_THAT(budget.TakeStalled(kStart + absl::Seconds(11)), IsEmpty());
  EXPECT_THAT(budget.TakeStalled(kStart + absl::Seconds(19)), ElementsAre(kBob));
}

TEST(ServingBudgetTest, ReleasingMoreThanHeldOrForAStrangerChangesNothingElse) {
  ServingBudget budget(SmallBudget());
  ASSERT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kGranted);
  budget.Release(kBob, kChunk, /*drained=*/true, kStart);
  budget.Release(kAlice, 5 * kChunk, /*drained=*/false, kStart);
  EXPECT_EQ(budget.held_bytes(), 0);
  EXPECT_EQ(budget.HeldBy(kAlice), 0);
}

TEST(ServingBudgetTest, IdleRequestersAreForgotten) {
  ServingBudget budget(SmallBudget());
  ASSERT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kGranted);
  budget.Release(kAlice, kChunk, /*drained=*/true, kStart);
  EXPECT_EQ(budget.tracked_requesters(), 1u);
  budget.TakeStalled(kStart + absl::Seconds(59));
  EXPECT_EQ(budget.tracked_requesters(), 1u);
  budget.TakeStalled(kStart + absl::Seconds(60));
  EXPECT_EQ(budget.tracked_requesters(), 0u);
}

TEST(ServingBudgetTest, AChunkBiggerThanAShareIsStillServedAlone) {
  ServingBudget budget(SmallBudget());
  EXPECT_EQ(budget.TryCharge(kAlice, 3 * kChunk, kStart), BudgetVerdict::kGranted);
  EXPECT_EQ(budget.TryCharge(kAlice, kChunk, kStart), BudgetVerdict::kOverShare);
}

TEST(ServingBudgetTest, SharesScaleWithTheTotal) {
  EXPECT_EQ(ServingBudgetFor(128).total_bytes, 128ll << 20);
  EXPECT_EQ(ServingBudgetFor(128).initial_share_bytes, 1ll << 20);
  EXPECT_EQ(ServingBudgetFor(128).max_share_bytes, 16ll << 20);
  EXPECT_EQ(ServingBudgetFor(8).initial_share_bytes, 1ll << 20);
  EXPECT_EQ(ServingBudgetFor(8).max_share_bytes, 2ll << 20);
  EXPECT_EQ(ServingBudgetFor(128).reserve_bytes, 16ll << 20);
}

}  // namespace
}  // namespace pytorrent::peer
