// Far links (issue #12): the request window follows measured rate x RTT,
// within a memory budget. A small discrete-event model of seeders behind
// links with a round-trip time and a rate cap drives the real scheduler.

#include <algorithm>
#include <map>
#include <vector>

#include "gtest/gtest.h"
#include "peer/download/chunk_scheduler.h"

namespace pytorrent::peer {
namespace {

constexpr int64_t kChunkBytes = 256 * 1024;
const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

struct Link {
  absl::Duration rtt;
  double bytes_per_s;
};

struct Outcome {
  double seconds = 0;
  int max_window = 0;
  int64_t max_inflight_bytes = 0;
};

// Downloads `chunks` chunks from one seeder per link: a request reaches the
// seeder after rtt/2, leaves it once the link is free (chunk / rate), and
// arrives rtt/2 later.
Outcome Simulate(const std::vector<Link>& links, uint32_t chunks, SchedulerOptions options = {}) {
  options.chunk_size_bytes = kChunkBytes;
  ChunkScheduler s(chunks, options, /*tie_break_seed=*/1);
  std::vector<absl::Time> line_free(links.size(), kStart);
  std::multimap<absl::Time, std::pair<uint32_t, ChunkIndex>> arrivals;
  Outcome out;
  auto request = [&](uint32_t p, absl::Time now) {
    for (ChunkIndex c : s.NextRequests(PeerHandle{p}, now)) {
      const Link& link = links[p];
      const absl::Time at_seeder = now + link.rtt / 2;
      line_free[p] = std::max(line_free[p], at_seeder) +
                     absl::Seconds(static_cast<double>(kChunkBytes) / link.bytes_per_s);
      arrivals.emplace(line_free[p] + link.rtt / 2, std::make_pair(p, c));
    }
    out.max_window = std::max(out.max_window, s.Window(PeerHandle{p}));
    int64_t inflight = 0;
    for (uint32_t q = 0; q < links.size(); ++q) inflight += s.Outstanding(PeerHandle{q});
    out.max_inflight_bytes = std::max(out.max_inflight_bytes, inflight * kChunkBytes);
  };
  for (uint32_t p = 0; p < links.size(); ++p) {
    s.AddPeer(PeerHandle{p});
    s.SetPeerHasAll(PeerHandle{p});
    request(p, kStart);
  }
  absl::Time now = kStart;
  while (!s.Complete() && !arrivals.empty()) {
    const auto [at, what] = *arrivals.begin();
    arrivals.erase(arrivals.begin());
    now = at;
    s.OnChunkVerified(PeerHandle{what.first}, what.second, now);
    request(what.first, now);
  }
  EXPECT_TRUE(s.Complete());
  out.seconds = absl::ToDoubleSeconds(now - kStart);
  return out;
}

double Ratio(const Outcome& o, uint32_t chunks, double link_bytes_per_s) {
  return static_cast<double>(chunks) * kChunkBytes / o.seconds / link_bytes_per_s;
}

constexpr double k400Mbit = 400e6 / 8;
constexpr uint32_t k512MiB = 2048;

TEST(FarLinkTest, OneSeederBehind100msFillsItsLink) {
  const Outcome o = Simulate({{absl::Milliseconds(100), k400Mbit}}, k512MiB);
  // 8 chunks per round trip would be 168 Mbit/s, 42% of the link.
  EXPECT_GE(Ratio(o, k512MiB, k400Mbit), 0.8) << o.seconds << " s";
  EXPECT_GT(o.max_window, 20);  // more than one bandwidth-delay product
}

TEST(FarLinkTest, ThreeSeedersBehind100msFillTheirSum) {
  const Link far{absl::Milliseconds(100), k400Mbit};
  const Outcome o = Simulate({far, far, far}, k512MiB);
  EXPECT_GE(Ratio(o, k512MiB, 3 * k400Mbit), 0.8) << o.seconds << " s";
}

TEST(FarLinkTest, MemoryBudgetBoundsTheWindows) {
  // A link whose rate x RTT is far beyond the budget (1 s, 10 Gbit/s):
  // 16 MiB per peer, 64 MiB for the download.
  const Link huge{absl::Seconds(1), 10e9 / 8};
  const Outcome one = Simulate({huge}, 1024);
  EXPECT_EQ(one.max_window, 16 * 1024 * 1024 / kChunkBytes);
  const Outcome six = Simulate({huge, huge, huge, huge, huge, huge}, 2048);
  EXPECT_LE(six.max_inflight_bytes, 64 * 1024 * 1024);
}

TEST(FarLinkTest, NearLinksKeepTheClassicWindow) {
  // Loopback-like: 0.2 ms, 1 GB/s. rate x RTT is under one chunk, so the
  // window stays at max_window (8), which measured best there.
  const Outcome o = Simulate({{absl::Microseconds(200), 1e9}}, 1024);
  EXPECT_EQ(o.max_window, 8);
}

TEST(FarLinkTest, WithoutTheEstimateTheWindowCapsTheRate) {
  // The model agrees with the arithmetic: max 8 in flight, 100 ms,
  // gives about 2 MiB per round trip (~168 Mbit/s, 42% of 400 Mbit/s).
  SchedulerOptions fixed;
  fixed.max_window_bytes = 8 * kChunkBytes;
  const Outcome o = Simulate({{absl::Milliseconds(100), k400Mbit}}, 512, fixed);
  EXPECT_NEAR(Ratio(o, 512, k400Mbit), 0.42, 0.05);
}

}  // namespace
}  // namespace pytorrent::peer
