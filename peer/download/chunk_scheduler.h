#ifndef PYTORRENT_PEER_DOWNLOAD_CHUNK_SCHEDULER_H_
#define PYTORRENT_PEER_DOWNLOAD_CHUNK_SCHEDULER_H_

// Decides which chunk of one download to request from which peer.
//
// Policy:
//   - Rarest first: among chunks that are missing, not yet requested and held
//     by the asking peer, pick the one held by the fewest (unbanned) peers;
//     ties go to the lowest index, which keeps disk writes and the streaming
//     whole-file hash sequential.
//   - Pipelining: each peer has a window of outstanding requests. It starts
//     at `initial_window`, grows by one per chunk the peer delivers (up to
//     `max_window`), halves on a timeout and shrinks to what is outstanding
//     on NO_CREDIT, so faster peers take more work
//     and memory stays bounded by sum(window) * chunk size.
//   - Far links: a peer whose measured rate x RTT (LinkEstimate) calls for
//     more than `max_window` chunks may grow to twice that, as libtorrent
//     sizes its request queue from the download rate, within a memory
//     budget: at most `max_window_bytes` per peer and `max_inflight_bytes`
//     for the download's peers together (16 and 64 MiB). So a 100 ms,
//     400 Mbit/s link gets ~40 chunks in flight, loopback keeps 8.
//   - Endgame: once every missing chunk is requested, a peer with spare
//     window duplicates requests already in flight elsewhere that are
//     overdue: older than `endgame_overdue` times the typical time from
//     request to verified chunk (a moving average over this download's
//     deliveries), so stragglers are rescued but on-time chunks are not
//     fetched twice (with many peers and a small file every chunk is in
//     flight from the start, and duplicating them all wasted up to a third
//     of the traffic). At most `endgame_max_requests` holders per chunk;
//     the start of the scan is chosen with the seeded generator so
//     duplicates spread. When a chunk arrives, the other holders' requests
//     are returned for Cancel.
//   - Timeouts: a request older than `request_timeout` returns its chunk to
//     the pool; `max_consecutive_timeouts` in a row mark the peer stalled.
//   - Strikes: each chunk failing its SHA-256 is a strike; at `max_strikes`
//     the peer is banned for this download (its requests dropped, its
//     chunks no longer counted, nothing more asked of it).
//
// Example:
//   ChunkScheduler s(chunk_count, {}, /*tie_break_seed=*/42);
//   s.AddPeer(PeerHandle{1}); s.SetPeerHasAll(PeerHandle{1});
//   for (ChunkIndex c : s.NextRequests(PeerHandle{1}, now)) Send(c);
//   auto v = s.OnChunkVerified(PeerHandle{1}, c, now);  // v.cancel -> send Cancel
//
// Pure: no sockets, no clock (times are parameters), seeded randomness.
// Not thread-safe; owned by the download's loop.

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "peer/download/link_estimate.h"

namespace pytorrent::peer {

enum class ChunkIndex : uint32_t {};
enum class PeerHandle : uint32_t {};

struct SchedulerOptions {
  int initial_window = 4;
  // 8 chunks (2 MiB at the default size) per peer keep a loopback or LAN
  // link busy; 16 measured slower on the swarm benchmark (more buffers in
  // flight, more cache misses) and cost ~6 MiB more peak RSS with 3 seeders.
  int max_window = 8;
  absl::Duration request_timeout = absl::Seconds(8);
  int max_consecutive_timeouts = 3;
  int max_strikes = 3;
  // Requests for one chunk in flight at once during endgame (>= 1).
  int endgame_max_requests = 2;
  // A request is duplicated in endgame once it is older than this many
  // times the typical delivery time (0: at once, the classic endgame).
  double endgame_overdue = 2.0;
  // The download's chunk size: turns the far-link window's bytes into chunks.
  int64_t chunk_size_bytes = 256 * 1024;
  // Memory budget of far-link windows (beyond `max_window` chunks): bytes in
  // flight from one peer, and from all peers of the download together.
  int64_t max_window_bytes = 16 * 1024 * 1024;
  int64_t max_inflight_bytes = 64 * 1024 * 1024;
};

class ChunkScheduler {
 public:
  struct Request {
    PeerHandle peer;
    ChunkIndex chunk;
  };
  struct VerifiedResult {
    // False if the chunk was already held (a late duplicate): nothing changed.
    bool needed = false;
    // Other peers whose requests for this chunk were dropped: send Cancel.
    std::vector<PeerHandle> cancel;
  };

  ChunkScheduler(uint32_t chunk_count, SchedulerOptions options, uint64_t tie_break_seed);

  // Marks a chunk already held (resumed from disk).
  void MarkHave(ChunkIndex chunk);
  // Un-marks a chunk found damaged on disk: it is wanted again.
  void MarkMissing(ChunkIndex chunk);

  // Adds a peer holding nothing yet; no-op if known.
  void AddPeer(PeerHandle peer);
  void SetPeerHasAll(PeerHandle peer);
  void SetPeerHas(PeerHandle peer, ChunkIndex chunk);
  // Forgets the peer; its outstanding requests return to the pool.
  void RemovePeer(PeerHandle peer);

  // New requests for `peer`, filling its window; each is recorded as sent at
  // `now`. Empty for banned/unknown peers or when nothing fits.
  std::vector<ChunkIndex> NextRequests(PeerHandle peer, absl::Time now);

  // `chunk` from `peer` passed its SHA-256 check.
  VerifiedResult OnChunkVerified(PeerHandle peer, ChunkIndex chunk, absl::Time now);
  // `chunk` from `peer` failed its check: one strike. Returns true if the
  // peer is now banned.
  bool OnChunkCorrupt(PeerHandle peer, ChunkIndex chunk);
  // Bans `peer` at once (e.g. it sent a manifest that fails the root).
  void Ban(PeerHandle peer);
  // `peer` refused `chunk`; with `peer_lacks_chunk` it is no longer counted
  // as a holder.
  void OnRejected(PeerHandle peer, ChunkIndex chunk, bool peer_lacks_chunk);
  // `peer` refused `chunk` for lack of credit (NO_CREDIT: it holds what it
  // will hold for us): the window shrinks to the requests it still has, so
  // the next request goes out when one of those is answered instead of
  // being refused again at once; the window then grows back by one per
  // delivered chunk (additive increase, multiplicative decrease).
  void OnNoCredit(PeerHandle peer, ChunkIndex chunk);
  // Drops requests sent at or before now - request_timeout and returns them.
  std::vector<Request> ExpireRequests(absl::Time now);

  bool Complete() const { return have_count_ == chunk_count_; }
  uint32_t chunk_count() const { return chunk_count_; }
  uint32_t have_count() const { return have_count_; }
  bool Has(ChunkIndex chunk) const;
  bool IsOutstanding(PeerHandle peer, ChunkIndex chunk) const;
  bool IsBanned(PeerHandle peer) const;
  bool IsStalled(PeerHandle peer) const;
  // True if `peer` holds a chunk we do not have yet.
  bool PeerHasNeeded(PeerHandle peer) const;
  int Strikes(PeerHandle peer) const;
  int Window(PeerHandle peer) const;
  int Outstanding(PeerHandle peer) const;
  int Availability(ChunkIndex chunk) const;
  // True once every missing chunk has a request in flight.
  bool InEndgame() const { return !Complete() && pool_size_ == 0; }
  // Peers that hold `chunk` and are not banned.
  bool AnyPeerHas(ChunkIndex chunk) const { return Availability(chunk) > 0; }

 private:
  struct PeerState {
    std::vector<bool> has;
    uint32_t has_count = 0;
    std::vector<std::pair<uint32_t, absl::Time>> outstanding;
    int window = 0;
    int strikes = 0;
    int consecutive_timeouts = 0;
    bool banned = false;
    LinkEstimate link;
  };

  // The most requests `peer` may have in flight now (see "Far links").
  int WindowCap(const PeerState& peer, absl::Time now) const;

  bool InPool(uint32_t c) const { return !have_[c] && inflight_[c] == 0; }
  void PoolAdd(uint32_t c);
  void PoolRemove(uint32_t c);
  void ChangeAvailability(uint32_t c, int delta);
  void AddRequest(PeerState& peer, uint32_t c, absl::Time now);
  // Removes `peer`'s request for `c` if present; returns whether it was.
  bool DropRequest(PeerState& peer, uint32_t c);
  void DropAllRequestsAndHoldings(PeerState& peer);
  int PickNormal(const PeerState& peer);
  int PickEndgame(const PeerState& peer, absl::Time now);
  PeerState* Find(PeerHandle peer);
  const PeerState* Find(PeerHandle peer) const;

  uint32_t chunk_count_;
  SchedulerOptions options_;
  std::mt19937_64 rng_;
  std::vector<bool> have_;
  std::vector<uint16_t> inflight_;
  // When the chunk's oldest request in flight was sent (valid while
  // inflight_ > 0).
  std::vector<absl::Time> first_sent_;
  // Moving average of request -> verified chunk, once one arrived.
  absl::Duration typical_delivery_ = absl::ZeroDuration();
  bool delivered_any_ = false;
  std::vector<uint32_t> availability_;
  // pool_hist_[a]: chunks in the pool (missing, unrequested) held by a peers.
  std::vector<uint32_t> pool_hist_;
  uint32_t pool_size_ = 0;
  uint32_t have_count_ = 0;
  // Every pool chunk has an index >= pool_hint_.
  uint32_t pool_hint_ = 0;
  std::unordered_map<uint32_t, PeerState> peers_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_DOWNLOAD_CHUNK_SCHEDULER_H_
