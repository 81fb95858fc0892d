#ifndef PYTORRENT_PEER_TRANSFER_SERVING_BUDGET_H_
#define PYTORRENT_PEER_TRANSFER_SERVING_BUDGET_H_

// `ServingBudget` bounds the memory the seeder spends on chunk replies: the
// bytes read for a requester and not yet drained by it (in the reader,
// queued in ZeroMQ, or in the kernel's send queue of its connection until
// its peer acknowledges them). A requester that never reads pins what it was
// given, so without a bound a few of them exhaust the node's memory.
//
// Rules, checked for every chunk before it is read:
//   - all requesters together hold at most `total_bytes`; a requester
//     already holding its initial share may only charge while the others
//     leave `reserve_bytes` of the total free (room kept for newcomers);
//   - each requester holds at most its share. It earns it by reading: the
//     earned share starts at `initial_share_bytes` and grows by what the
//     requester has drained, up to `max_share_bytes`. Requesters holding
//     bytes split the total max-min fairly by earned share: each gets its
//     earned share up to a common level, the level at which those shares
//     fill the total (those that earned less keep what they earned; the rest
//     is split equally among those that earned more). So requesters that
//     never read, holding their initial share, shrink the room of a reader
//     only by that share; two readers split equally. Never below the
//     initial share;
//   - a requester holding bytes that has drained nothing for
//     `stall_timeout` is stalled: TakeStalled reports it once, and the
//     seeder drops its connection, which frees what it pinned.
// A chunk over either bound is refused (the seeder answers NO_CREDIT).
//
// Example:
//   ServingBudget budget({.total_bytes = 128 << 20});
//   if (budget.TryCharge(peer, chunk_bytes, now) != BudgetVerdict::kGranted) RejectNoCredit();
//   ...; budget.Release(peer, chunk_bytes, /*drained=*/true, now);  // written to the network
//
// Pure logic (time is a parameter). Not thread-safe: owned by the loop.

#include <cstdint>
#include <map>
#include <vector>

#include "absl/time/time.h"

namespace pytorrent::peer {

enum class RequesterId : uint64_t {};

struct ServingBudgetOptions {
  // All requesters together. Sized for a small machine.
  int64_t total_bytes = 128ll << 20;
  // What a requester that has drained nothing yet may hold: a leecher's
  // initial window of 4 chunks of 256 KiB.
  int64_t initial_share_bytes = 1ll << 20;
  int64_t max_share_bytes = 16ll << 20;
  // Part of the total kept for requesters holding less than their initial
  // share (a newcomer, a leecher that reads): the others together fill at
  // most total - reserve. Without it, requesters that never read can pin
  // the whole total and refuse every newcomer until they are dropped as
  // stalled.
  int64_t reserve_bytes = 0;  // ServingBudgetFor: an eighth of the total
  absl::Duration stall_timeout = absl::Seconds(10);
  // A requester holding nothing is forgotten (its earned share with it)
  // after this long without traffic.
  absl::Duration forget_after = absl::Seconds(120);
};

// The options for a total of `total_mib` MiB: shares scaled to it (initial
// at most 1 MiB and an eighth of the total, maximum at most 16 MiB and a
// quarter), so a small budget still serves several requesters at once.
ServingBudgetOptions ServingBudgetFor(uint32_t total_mib);

enum class BudgetVerdict {
  kGranted,
  kOverShare,  // this requester holds its share already
  kOverTotal,  // all requesters together hold the total
};

class ServingBudget {
 public:
  explicit ServingBudget(ServingBudgetOptions options);

  // Charges `bytes` to `requester` if both bounds allow it; charges nothing
  // otherwise.
  BudgetVerdict TryCharge(RequesterId requester, int64_t bytes, absl::Time now);
  // `bytes` charged to `requester` left memory: `drained` if the requester
  // received them (this grows its share and counts as progress), false if
  // they were dropped unsent. Releasing more than is held releases what is.
  void Release(RequesterId requester, int64_t bytes, bool drained, absl::Time now);
  // Requesters that hold bytes and drained nothing for `stall_timeout`, each
  // reported once per stall. Also forgets idle requesters holding nothing.
  std::vector<RequesterId> TakeStalled(absl::Time now);

  int64_t held_bytes() const { return held_bytes_; }
  int64_t peak_held_bytes() const { return peak_held_bytes_; }
  int64_t HeldBy(RequesterId requester) const;
  // What `requester` may hold now (see the rules above).
  int64_t ShareOf(RequesterId requester) const;
  size_t tracked_requesters() const { return requesters_.size(); }
  // False once `requester` was forgotten (or never charged).
  bool Tracks(RequesterId requester) const { return requesters_.count(requester) != 0; }
  const ServingBudgetOptions& options() const { return options_; }

 private:
  struct Requester {
    int64_t held_bytes = 0;
    int64_t drained_bytes = 0;
    // Last drain, or when it started holding bytes.
    absl::Time last_progress = absl::InfinitePast();
    bool stall_reported = false;
  };
  int64_t ShareOf(const Requester* requester) const;
  int64_t EarnedShareOf(const Requester* requester) const;
  // The max-min fair level of `total_bytes` among `earned_shares`: the
  // largest L with sum(min(share, L)) <= total_bytes (int64 max if all fit).
  static int64_t FairLevel(std::vector<int64_t> earned_shares, int64_t total_bytes);

  ServingBudgetOptions options_;
  std::map<RequesterId, Requester> requesters_;
  int64_t held_bytes_ = 0;
  int64_t peak_held_bytes_ = 0;
  // Requesters with held_bytes > 0.
  int64_t holders_ = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_SERVING_BUDGET_H_
