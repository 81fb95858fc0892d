#include "tests/fault_proxy/link_faults.h"

#include "gtest/gtest.h"

namespace pytorrent::testing {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST(UdpFaultPlanTest, NoFaultsDeliversEveryDatagramOnceAfterTheDelay) {
  UdpFaultPlan plan({.delay = absl::Milliseconds(100)}, 7);
  for (int i = 0; i < 1000; ++i) {
    const std::vector<absl::Time> at = plan.Schedule(kStart);
    ASSERT_EQ(at.size(), 1u);
    EXPECT_EQ(at[0], kStart + absl::Milliseconds(100));
  }
}

TEST(UdpFaultPlanTest, LossDuplicationAndReorderingHappenAtTheirRates) {
  UdpFaultPlan plan({.loss = 0.3, .duplicate = 0.1, .reorder = 0.2}, 7);
  int lost = 0, doubled = 0, late = 0;
  constexpr int kDatagrams = 100000;
  for (int i = 0; i < kDatagrams; ++i) {
    const std::vector<absl::Time> at = plan.Schedule(kStart);
    if (at.empty()) ++lost;
    if (at.size() == 2) ++doubled;
    if (!at.empty() && at[0] > kStart) ++late;
  }
  // Binomial: a few standard deviations around the rates.
  EXPECT_NEAR(lost, 0.3 * kDatagrams, 1000);
  EXPECT_NEAR(doubled, 0.1 * 0.7 * kDatagrams, 1000);
  EXPECT_NEAR(late, 0.2 * 0.7 * kDatagrams, 1000);
}

TEST(UdpFaultPlanTest, SameSeedSameFaults) {
  UdpFaultPlan a({.loss = 0.5}, 42), b({.loss = 0.5}, 42), c({.loss = 0.5}, 43);
  int differ = 0;
  for (int i = 0; i < 200; ++i) {
    const size_t na = a.Schedule(kStart).size();
    EXPECT_EQ(na, b.Schedule(kStart).size());
    differ += na != c.Schedule(kStart).size();
  }
  EXPECT_GT(differ, 0);
}

TEST(TcpPacerTest, DelayOnlyShiftsEveryRun) {
  TcpPacer pacer({.delay = absl::Milliseconds(50)});
  EXPECT_EQ(pacer.Admit(1 << 20, kStart), kStart + absl::Milliseconds(50));
  EXPECT_EQ(pacer.Admit(1 << 20, kStart), kStart + absl::Milliseconds(50));
}

TEST(TcpPacerTest, RateCapQueuesBytesBehindEachOther) {
  // 400 Mbit/s: 50 MB/s, so 5 MB take 100 ms on the line, then 50 ms delay.
  TcpPacer pacer({.delay = absl::Milliseconds(50), .bits_per_s = 400e6});
  absl::Time last;
  for (int i = 0; i < 5; ++i) last = pacer.Admit(1'000'000, kStart);
  EXPECT_EQ(last, kStart + absl::Milliseconds(150));
  // An idle line starts again from the arrival time.
  EXPECT_EQ(pacer.Admit(1'000'000, kStart + absl::Seconds(10)),
            kStart + absl::Seconds(10) + absl::Milliseconds(70));
}

}  // namespace
}  // namespace pytorrent::testing
