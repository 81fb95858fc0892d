#include "peer/download/chunk_scheduler.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr PeerHandle kA{1};
constexpr PeerHandle kB{2};
constexpr PeerHandle kC{3};
const absl::Time kT0 = absl::FromUnixSeconds(1000);

ChunkIndex C(uint32_t i) { return ChunkIndex{i}; }

SchedulerOptions Window(int initial, int max) {
  SchedulerOptions o;
  o.initial_window = initial;
  o.max_window = max;
  return o;
}

// Peers A, B, C; `holders[i]` = how many of A, B, C (in that order) hold chunk i.
void AddHolders(ChunkScheduler& s, const std::string& holders) {
  const PeerHandle peers[] = {kA, kB, kC};
  for (PeerHandle p : peers) s.AddPeer(p);
  for (uint32_t i = 0; i < holders.size(); ++i) {
    for (int k = 0; k < holders[i] - '0'; ++k) s.SetPeerHas(peers[k], C(i));
  }
}

TEST(ChunkSchedulerTest, RequestsRarestMissingChunkFirst) {
  ChunkScheduler s(4, Window(1, 1), 7);
  AddHolders(s, "3312");
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(2)));
  // B can't serve chunk 2; its rarest is chunk 3 (two holders).
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(3)));
  EXPECT_THAT(s.NextRequests(kC, kT0), ElementsAre(C(0)));
  EXPECT_EQ(s.Availability(C(2)), 1);
}

TEST(ChunkSchedulerTest, TiesGoToLowestIndexAndResumedChunksAreSkipped) {
  ChunkScheduler s(6, Window(3, 3), 7);
  s.MarkHave(C(1));
  AddHolders(s, "111111");
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(0), C(2), C(3)));
  EXPECT_EQ(s.have_count(), 1u);
}

TEST(ChunkSchedulerTest, RarerChunkBeatsLowerIndexAndEquallyRareGoLowestFirst) {
  // Chunks 1, 3, 5 have one holder (A), 0, 2, 4 two (A, B): rarity decides
  // first, then the lowest index among the equally rare.
  ChunkScheduler s(6, Window(3, 6), 7);
  AddHolders(s, "212121");
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(1), C(3), C(5)));
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(0), C(2), C(4)));
}

TEST(ChunkSchedulerTest, PipelineNeverExceedsWindow) {
  ChunkScheduler s(100, Window(4, 6), 7);
  s.AddPeer(kA);
  s.SetPeerHasAll(kA);
  EXPECT_EQ(s.NextRequests(kA, kT0).size(), 4u);
  EXPECT_THAT(s.NextRequests(kA, kT0), IsEmpty());
  EXPECT_EQ(s.Outstanding(kA), 4);
  // Each delivery grows the window by one up to max_window.
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(s.OnChunkVerified(kA, C(i), kT0).needed);
  }
  EXPECT_EQ(s.Window(kA), 6);
  EXPECT_EQ(s.NextRequests(kA, kT0).size(), 6u);
  EXPECT_EQ(s.Outstanding(kA), 6);
}

TEST(ChunkSchedulerTest, FasterPeerTakesMoreWork) {
  ChunkScheduler s(1000, Window(2, 16), 7);
  s.AddPeer(kA);
  s.AddPeer(kB);
  s.SetPeerHasAll(kA);
  s.SetPeerHasAll(kB);
  int a_total = 0, b_total = 0;
  absl::Time now = kT0;
  // A answers everything every round; B answers one request per round.
  for (int round = 0; round < 20; ++round) {
    auto a = s.NextRequests(kA, now);
    auto b = s.NextRequests(kB, now);
    a_total += a.size();
    b_total += b.size();
    for (ChunkIndex c : a) s.OnChunkVerified(kA, c, now);
    if (s.Outstanding(kB) > 0) {
      for (uint32_t i = 0; i < 1000; ++i) {
        if (s.IsOutstanding(kB, C(i))) {
          s.OnChunkVerified(kB, C(i), now);
          break;
        }
      }
    }
    now += absl::Milliseconds(10);
  }
  EXPECT_GT(a_total, 4 * b_total);
  EXPECT_EQ(s.Window(kA), 16);
}

TEST(ChunkSchedulerTest, EndgameDuplicatesLastChunksAndCancelsLosers) {
  SchedulerOptions o = Window(2, 2);
  o.endgame_overdue = 0;  // the classic endgame: duplicate at once
  ChunkScheduler s(3, o, 7);
  s.AddPeer(kA);
  s.AddPeer(kB);
  s.SetPeerHasAll(kA);
  s.SetPeerHasAll(kB);
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(0), C(1)));
  EXPECT_FALSE(s.InEndgame());
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(2), testing::_));
  EXPECT_TRUE(s.InEndgame());
  // B's second request duplicates one of A's.
  int duplicated = s.IsOutstanding(kB, C(0)) ? 0 : 1;
  ASSERT_TRUE(s.IsOutstanding(kB, C(duplicated)));
  auto result = s.OnChunkVerified(kB, C(duplicated), kT0);
  EXPECT_TRUE(result.needed);
  EXPECT_THAT(result.cancel, ElementsAre(kA));
  EXPECT_FALSE(s.IsOutstanding(kA, C(duplicated)));
  // The loser's late copy changes nothing.
  EXPECT_FALSE(s.OnChunkVerified(kA, C(duplicated), kT0).needed);
  EXPECT_EQ(s.have_count(), 1u);
}

TEST(ChunkSchedulerTest, EndgameRespectsDuplicateCap) {
  SchedulerOptions o = Window(4, 4);
  o.endgame_max_requests = 2;
  o.endgame_overdue = 0;
  ChunkScheduler s(1, o, 7);
  AddHolders(s, "3");
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(0)));
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(0)));
  EXPECT_THAT(s.NextRequests(kC, kT0), IsEmpty());
  auto result = s.OnChunkVerified(kA, C(0), kT0);
  EXPECT_THAT(result.cancel, ElementsAre(kB));
  EXPECT_TRUE(s.Complete());
}

TEST(ChunkSchedulerTest, EndgameDuplicatesOnlyOverdueRequests) {
  ChunkScheduler s(4, Window(2, 2), 7);  // endgame_overdue 2 (the default)
  AddHolders(s, "3333");
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(0), C(1)));
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(2), C(3)));
  ASSERT_TRUE(s.InEndgame());
  // Nothing delivered yet: no request can be called late.
  EXPECT_THAT(s.NextRequests(kC, kT0 + absl::Seconds(5)), IsEmpty());
  // B delivers in 100 ms: the typical delivery time.
  EXPECT_TRUE(s.OnChunkVerified(kB, C(2), kT0 + absl::Milliseconds(100)).needed);
  // A's requests are 150 ms old: on time, not duplicated.
  EXPECT_THAT(s.NextRequests(kB, kT0 + absl::Milliseconds(150)), IsEmpty());
  EXPECT_THAT(s.NextRequests(kC, kT0 + absl::Milliseconds(150)), IsEmpty());
  // At 250 ms (over twice the typical time) they are overdue: C takes one,
  // B the other, and never a second copy of its own request for chunk 3.
  std::vector<ChunkIndex> c_takes = s.NextRequests(kC, kT0 + absl::Milliseconds(250));
  std::vector<ChunkIndex> b_takes = s.NextRequests(kB, kT0 + absl::Milliseconds(250));
  ASSERT_EQ(c_takes.size() + b_takes.size(), 3u);
  EXPECT_THAT(b_takes, testing::Not(testing::Contains(C(3))));
  for (ChunkIndex c : b_takes) EXPECT_TRUE(c == C(0) || c == C(1));
  // The first copy to arrive wins; the overdue holder is told to cancel.
  auto result = s.OnChunkVerified(kC, c_takes[0], kT0 + absl::Milliseconds(300));
  EXPECT_TRUE(result.needed);
  EXPECT_FALSE(result.cancel.empty());
}

TEST(ChunkSchedulerTest, AnOnTimeSwarmFetchesEveryChunkOnce) {
  // Twelve peers with windows of 4 and a 32-chunk file: every chunk is in
  // flight from the start (endgame at once), and every peer delivers in
  // 100 ms. The classic endgame asked for many chunks twice; now each once.
  for (double overdue : {0.0, 2.0}) {
    SchedulerOptions o = Window(4, 4);
    o.endgame_overdue = overdue;
    constexpr int kPeers = 12;
    ChunkScheduler s(32, o, 7);
    for (int p = 1; p <= kPeers; ++p) {
      s.AddPeer(PeerHandle{static_cast<uint32_t>(p)});
      s.SetPeerHasAll(PeerHandle{static_cast<uint32_t>(p)});
    }
    std::vector<std::pair<absl::Time, ChunkScheduler::Request>> flying;
    int requests = 0;
    absl::Time now = kT0;
    for (int step = 0; step < 200 && !s.Complete(); ++step) {
      for (int p = 1; p <= kPeers; ++p) {
        const PeerHandle peer{static_cast<uint32_t>(p)};
        for (ChunkIndex c : s.NextRequests(peer, now)) {
          flying.push_back({now + absl::Milliseconds(100), {peer, c}});
          ++requests;
        }
      }
      now += absl::Milliseconds(10);
      for (auto it = flying.begin(); it != flying.end();) {
        if (it->first > now) {
          ++it;
          continue;
        }
        if (s.IsOutstanding(it->second.peer, it->second.chunk)) {
          s.OnChunkVerified(it->second.peer, it->second.chunk, now);
        }
        it = flying.erase(it);
      }
    }
    EXPECT_TRUE(s.Complete());
    if (overdue == 0) {
      EXPECT_GT(requests, 40) << "the classic endgame duplicates on-time requests";
    } else {
      EXPECT_EQ(requests, 32);
    }
  }
}

TEST(ChunkSchedulerTest, TimeoutReturnsChunkShrinksWindowAndMarksStalled) {
  SchedulerOptions o = Window(4, 8);
  o.request_timeout = absl::Seconds(5);
  o.max_consecutive_timeouts = 2;
  ChunkScheduler s(10, o, 7);
  AddHolders(s, "2222222222");
  auto sent = s.NextRequests(kA, kT0);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_THAT(s.ExpireRequests(kT0 + absl::Seconds(4)), IsEmpty());
  auto expired = s.ExpireRequests(kT0 + absl::Seconds(5));
  EXPECT_EQ(expired.size(), 4u);
  EXPECT_EQ(s.Window(kA), 2);
  EXPECT_EQ(s.Outstanding(kA), 0);
  EXPECT_FALSE(s.IsStalled(kA));
  // The expired chunks go to B first (lowest index again).
  EXPECT_THAT(s.NextRequests(kB, kT0 + absl::Seconds(5)), ElementsAre(C(0), C(1), C(2), C(3)));
  s.NextRequests(kA, kT0 + absl::Seconds(6));
  s.ExpireRequests(kT0 + absl::Seconds(20));
  EXPECT_TRUE(s.IsStalled(kA));
  EXPECT_EQ(s.Window(kA), 1);
}

TEST(ChunkSchedulerTest, LateButValidChunkAfterTimeoutIsStillAccepted) {
  SchedulerOptions o = Window(1, 1);
  o.request_timeout = absl::Seconds(1);
  ChunkScheduler s(2, o, 7);
  AddHolders(s, "11");
  s.NextRequests(kA, kT0);
  s.ExpireRequests(kT0 + absl::Seconds(2));
  EXPECT_TRUE(s.OnChunkVerified(kA, C(0), kT0 + absl::Seconds(3)).needed);
  EXPECT_TRUE(s.Has(C(0)));
}

TEST(ChunkSchedulerTest, StrikesThenBan) {
  SchedulerOptions o = Window(2, 2);
  o.max_strikes = 3;
  ChunkScheduler s(4, o, 7);
  AddHolders(s, "2222");
  for (int strike = 1; strike <= 3; ++strike) {
    auto sent = s.NextRequests(kA, kT0);
    ASSERT_FALSE(sent.empty());
    bool banned = s.OnChunkCorrupt(kA, sent[0]);
    EXPECT_EQ(s.Strikes(kA), strike);
    EXPECT_EQ(banned, strike == 3);
  }
  EXPECT_TRUE(s.IsBanned(kA));
  EXPECT_EQ(s.Outstanding(kA), 0);
  EXPECT_THAT(s.NextRequests(kA, kT0), IsEmpty());
  EXPECT_EQ(s.Availability(C(0)), 1);  // A no longer counts as a holder
  s.SetPeerHasAll(kA);                 // ignored once banned
  EXPECT_EQ(s.Availability(C(0)), 1);
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(0), C(1)));
}

TEST(ChunkSchedulerTest, RemovedPeerReturnsItsChunks) {
  ChunkScheduler s(3, Window(3, 3), 7);
  AddHolders(s, "222");
  EXPECT_EQ(s.NextRequests(kA, kT0).size(), 3u);
  EXPECT_TRUE(s.InEndgame());
  s.RemovePeer(kA);
  EXPECT_FALSE(s.InEndgame());
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(0), C(1), C(2)));
  EXPECT_EQ(s.Availability(C(0)), 1);
}

TEST(ChunkSchedulerTest, RejectedChunkIsNoLongerCountedForThatPeer) {
  ChunkScheduler s(2, Window(1, 1), 7);
  AddHolders(s, "22");
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(0)));
  s.OnRejected(kA, C(0), /*peer_lacks_chunk=*/true);
  EXPECT_EQ(s.Availability(C(0)), 1);
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(1)));
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(0)));
}

TEST(ChunkSchedulerTest, NoCreditShrinksTheWindowToWhatIsOutstandingThenItGrowsBack) {
  ChunkScheduler s(16, Window(4, 8), 7);
  s.AddPeer(kA);
  s.SetPeerHasAll(kA);
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(0), C(1), C(2), C(3)));
  s.OnNoCredit(kA, C(3));
  EXPECT_EQ(s.Window(kA), 3);
  // Nothing new until one of the three outstanding is answered...
  EXPECT_THAT(s.NextRequests(kA, kT0), IsEmpty());
  s.OnChunkVerified(kA, C(0), kT0);
  // ...then the refused chunk first, and the window grew by one.
  EXPECT_EQ(s.Window(kA), 4);
  EXPECT_THAT(s.NextRequests(kA, kT0), ElementsAre(C(3), C(4)));
  // A refusal with nothing else outstanding leaves a window of one.
  ChunkScheduler t(4, Window(4, 8), 7);
  t.AddPeer(kA);
  t.SetPeerHasAll(kA);
  EXPECT_THAT(t.NextRequests(kA, kT0), ElementsAre(C(0), C(1), C(2), C(3)));
  for (uint32_t c = 0; c < 4; ++c) t.OnNoCredit(kA, C(c));
  EXPECT_EQ(t.Window(kA), 1);
  EXPECT_THAT(t.NextRequests(kA, kT0), ElementsAre(C(0)));
}

TEST(ChunkSchedulerTest, PeerJoiningMidDownloadIsUsed) {
  ChunkScheduler s(8, Window(2, 2), 7);
  s.AddPeer(kA);
  s.SetPeerHasAll(kA);
  s.NextRequests(kA, kT0);
  s.AddPeer(kB);
  s.SetPeerHasAll(kB);
  EXPECT_THAT(s.NextRequests(kB, kT0), ElementsAre(C(2), C(3)));
}

TEST(ChunkSchedulerTest, CompletesWithEveryChunkExactlyOnce) {
  ChunkScheduler s(50, Window(4, 8), 99);
  AddHolders(s, std::string(50, '3'));
  absl::Time now = kT0;
  int deliveries = 0;
  while (!s.Complete() && deliveries < 1000) {
    for (PeerHandle p : {kA, kB, kC}) {
      for (ChunkIndex c : s.NextRequests(p, now)) {
        if (s.OnChunkVerified(p, c, now).needed) ++deliveries;
      }
    }
  }
  EXPECT_TRUE(s.Complete());
  EXPECT_EQ(deliveries, 50);
}

}  // namespace
}  // namespace pytorrent::peer
