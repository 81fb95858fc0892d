#include "peer/download/chunk_scheduler.h"

#include <algorithm>

namespace pytorrent::peer {
namespace {
uint32_t Idx(ChunkIndex c) { return static_cast<uint32_t>(c); }
uint32_t Id(PeerHandle p) { return static_cast<uint32_t>(p); }
}  // namespace

ChunkScheduler::ChunkScheduler(uint32_t chunk_count, SchedulerOptions options,
                               uint64_t tie_break_seed)
    : chunk_count_(chunk_count),
      options_(options),
      rng_(tie_break_seed),
      have_(chunk_count, false),
      inflight_(chunk_count, 0),
      first_sent_(chunk_count, absl::InfinitePast()),
      availability_(chunk_count, 0),
      pool_hist_(1, 0) {
  options_.initial_window = std::max(1, options_.initial_window);
  options_.max_window = std::max(options_.initial_window, options_.max_window);
  options_.endgame_max_requests = std::max(1, options_.endgame_max_requests);
  pool_hist_[0] = chunk_count;
  pool_size_ = chunk_count;
}

void ChunkScheduler::PoolAdd(uint32_t c) {
  uint32_t a = availability_[c];
  if (a >= pool_hist_.size()) pool_hist_.resize(a + 1, 0);
  ++pool_hist_[a];
  ++pool_size_;
  pool_hint_ = std::min(pool_hint_, c);
}

void ChunkScheduler::PoolRemove(uint32_t c) {
  --pool_hist_[availability_[c]];
  --pool_size_;
}

void ChunkScheduler::ChangeAvailability(uint32_t c, int delta) {
  bool in_pool = InPool(c);
  if (in_pool) PoolRemove(c);
  availability_[c] = static_cast<uint32_t>(static_cast<int64_t>(availability_[c]) + delta);
  if (in_pool) PoolAdd(c);
}

ChunkScheduler::PeerState* ChunkScheduler::Find(PeerHandle peer) {
  auto it = peers_.find(Id(peer));
  return it == peers_.end() ? nullptr : &it->second;
}

const ChunkScheduler::PeerState* ChunkScheduler::Find(PeerHandle peer) const {
  auto it = peers_.find(Id(peer));
  return it == peers_.end() ? nullptr : &it->second;
}

void ChunkScheduler::MarkHave(ChunkIndex chunk) {
  uint32_t c = Idx(chunk);
  if (c >= chunk_count_ || have_[c]) return;
  if (InPool(c)) PoolRemove(c);
  have_[c] = true;
  ++have_count_;
  for (auto& [id, peer] : peers_) DropRequest(peer, c);
  inflight_[c] = 0;
}

void ChunkScheduler::MarkMissing(ChunkIndex chunk) {
  uint32_t c = Idx(chunk);
  if (c >= chunk_count_ || !have_[c]) return;
  have_[c] = false;
  --have_count_;
  inflight_[c] = 0;
  PoolAdd(c);
}

void ChunkScheduler::AddPeer(PeerHandle peer) {
  if (Find(peer) != nullptr) return;
  PeerState& state = peers_[Id(peer)];
  state.has.assign(chunk_count_, false);
  state.window = options_.initial_window;
}

void ChunkScheduler::SetPeerHasAll(PeerHandle peer) {
  PeerState* state = Find(peer);
  if (state == nullptr || state->banned) return;
  for (uint32_t c = 0; c < chunk_count_; ++c) {
    if (!state->has[c]) {
      state->has[c] = true;
      ChangeAvailability(c, +1);
    }
  }
  state->has_count = chunk_count_;
}

void ChunkScheduler::SetPeerHas(PeerHandle peer, ChunkIndex chunk) {
  PeerState* state = Find(peer);
  uint32_t c = Idx(chunk);
  if (state == nullptr || state->banned || c >= chunk_count_ || state->has[c]) return;
  state->has[c] = true;
  ++state->has_count;
  ChangeAvailability(c, +1);
}

void ChunkScheduler::AddRequest(PeerState& peer, uint32_t c, absl::Time now) {
  if (InPool(c)) PoolRemove(c);
  if (inflight_[c]++ == 0) first_sent_[c] = now;
  peer.outstanding.emplace_back(c, now);
}

bool ChunkScheduler::DropRequest(PeerState& peer, uint32_t c) {
  auto it = std::find_if(peer.outstanding.begin(), peer.outstanding.end(),
                         [c](const auto& entry) { return entry.first == c; });
  if (it == peer.outstanding.end()) return false;
  peer.outstanding.erase(it);
  if (inflight_[c] > 0) {
    --inflight_[c];
    if (InPool(c)) PoolAdd(c);
  }
  if (inflight_[c] > 0) {
    // Another request for it remains (endgame): its age is what counts now.
    first_sent_[c] = absl::InfiniteFuture();
    for (const auto& [id, other] : peers_) {
      for (const auto& [chunk, at] : other.outstanding) {
        if (chunk == c) first_sent_[c] = std::min(first_sent_[c], at);
      }
    }
  }
  return true;
}

void ChunkScheduler::DropAllRequestsAndHoldings(PeerState& peer) {
  while (!peer.outstanding.empty()) DropRequest(peer, peer.outstanding.back().first);
  if (peer.has_count > 0) {
    for (uint32_t c = 0; c < chunk_count_; ++c) {
      if (peer.has[c]) {
        peer.has[c] = false;
        ChangeAvailability(c, -1);
      }
    }
    peer.has_count = 0;
  }
}

void ChunkScheduler::RemovePeer(PeerHandle peer) {
  PeerState* state = Find(peer);
  if (state == nullptr) return;
  DropAllRequestsAndHoldings(*state);
  peers_.erase(Id(peer));
}

int ChunkScheduler::PickNormal(const PeerState& peer) {
  if (pool_size_ == 0) return -1;
  while (pool_hint_ < chunk_count_ && !InPool(pool_hint_)) ++pool_hint_;
  uint32_t global_min = 0;
  while (global_min < pool_hist_.size() && pool_hist_[global_min] == 0) ++global_min;
  int best = -1;
  uint32_t best_availability = UINT32_MAX;
  for (uint32_t c = pool_hint_; c < chunk_count_; ++c) {
    if (!InPool(c) || !peer.has[c]) continue;
    if (availability_[c] < best_availability) {
      best = static_cast<int>(c);
      best_availability = availability_[c];
      if (best_availability <= global_min) break;
    }
  }
  return best;
}

int ChunkScheduler::PickEndgame(const PeerState& peer, absl::Time now) {
  if (pool_size_ != 0 || chunk_count_ == 0) return -1;
  // Requests sent at or before `overdue_before` are late enough to duplicate.
  absl::Time overdue_before = now;
  if (options_.endgame_overdue > 0) {
    if (!delivered_any_) return -1;  // nothing can be called late yet
    overdue_before = now - typical_delivery_ * options_.endgame_overdue;
  }
  uint32_t start = static_cast<uint32_t>(rng_() % chunk_count_);
  int best = -1;
  int best_inflight = INT32_MAX;
  for (uint32_t i = 0; i < chunk_count_; ++i) {
    uint32_t c = (start + i) % chunk_count_;
    if (have_[c] || !peer.has[c] || inflight_[c] >= options_.endgame_max_requests) continue;
    if (inflight_[c] > 0 && first_sent_[c] > overdue_before) continue;
    bool mine = std::any_of(peer.outstanding.begin(), peer.outstanding.end(),
                            [c](const auto& entry) { return entry.first == c; });
    if (mine) continue;
    if (inflight_[c] < best_inflight) {
      best = static_cast<int>(c);
      best_inflight = inflight_[c];
    }
  }
  return best;
}

std::vector<ChunkIndex> ChunkScheduler::NextRequests(PeerHandle peer, absl::Time now) {
  std::vector<ChunkIndex> out;
  PeerState* state = Find(peer);
  if (state == nullptr || state->banned) return out;
  while (static_cast<int>(state->outstanding.size()) < state->window) {
    int c = PickNormal(*state);
    if (c < 0) c = PickEndgame(*state, now);
    if (c < 0) break;
    AddRequest(*state, static_cast<uint32_t>(c), now);
    out.push_back(ChunkIndex{static_cast<uint32_t>(c)});
  }
  return out;
}

int ChunkScheduler::WindowCap(const PeerState& peer, absl::Time now) const {
  const int64_t chunk = std::max<int64_t>(1, options_.chunk_size_bytes);
  const int64_t wanted = (peer.link.WantedBytes(now) + chunk - 1) / chunk;
  int64_t sharing = 0;
  for (const auto& [id, other] : peers_) sharing += other.banned ? 0 : 1;
  const int64_t budget = std::min(options_.max_window_bytes,
                                  options_.max_inflight_bytes / std::max<int64_t>(1, sharing)) /
                         chunk;
  const int64_t classic = options_.max_window;
  return static_cast<int>(std::min(std::max(classic, wanted), std::max(classic, budget)));
}

ChunkScheduler::VerifiedResult ChunkScheduler::OnChunkVerified(PeerHandle peer, ChunkIndex chunk,
                                                               absl::Time now) {
  VerifiedResult result;
  uint32_t c = Idx(chunk);
  PeerState* state = Find(peer);
  if (c >= chunk_count_) return result;
  absl::Time sent = absl::InfinitePast();
  if (state != nullptr) {
    for (const auto& [requested_chunk, at] : state->outstanding) {
      if (requested_chunk == c) sent = at;
    }
  }
  bool requested = state != nullptr && DropRequest(*state, c);
  if (state != nullptr && requested) {
    state->consecutive_timeouts = 0;
    state->link.OnDelivered(options_.chunk_size_bytes, sent, now);
    if (sent != absl::InfinitePast() && now >= sent) {
      const absl::Duration took = now - sent;
      typical_delivery_ = delivered_any_ ? typical_delivery_ * 0.875 + took * 0.125 : took;
      delivered_any_ = true;
    }
    state->window = std::min(WindowCap(*state, now), state->window + 1);
  }
  if (have_[c]) return result;
  result.needed = true;
  for (auto& [id, other] : peers_) {
    if (DropRequest(other, c)) result.cancel.push_back(PeerHandle{id});
  }
  if (InPool(c)) PoolRemove(c);
  have_[c] = true;
  ++have_count_;
  return result;
}

bool ChunkScheduler::OnChunkCorrupt(PeerHandle peer, ChunkIndex chunk) {
  PeerState* state = Find(peer);
  if (state == nullptr || state->banned) return false;
  if (Idx(chunk) < chunk_count_) DropRequest(*state, Idx(chunk));
  if (++state->strikes < options_.max_strikes) return false;
  state->banned = true;
  DropAllRequestsAndHoldings(*state);
  return true;
}

void ChunkScheduler::Ban(PeerHandle peer) {
  PeerState* state = Find(peer);
  if (state == nullptr || state->banned) return;
  state->banned = true;
  DropAllRequestsAndHoldings(*state);
}

void ChunkScheduler::OnRejected(PeerHandle peer, ChunkIndex chunk, bool peer_lacks_chunk) {
  PeerState* state = Find(peer);
  uint32_t c = Idx(chunk);
  if (state == nullptr || c >= chunk_count_) return;
  DropRequest(*state, c);
  if (peer_lacks_chunk && state->has[c]) {
    state->has[c] = false;
    --state->has_count;
    ChangeAvailability(c, -1);
  }
}

void ChunkScheduler::OnNoCredit(PeerHandle peer, ChunkIndex chunk) {
  PeerState* state = Find(peer);
  uint32_t c = Idx(chunk);
  if (state == nullptr || c >= chunk_count_) return;
  DropRequest(*state, c);
  state->window = std::max(1, std::min(state->window, static_cast<int>(state->outstanding.size())));
}

std::vector<ChunkScheduler::Request> ChunkScheduler::ExpireRequests(absl::Time now) {
  std::vector<Request> expired;
  for (auto& [id, state] : peers_) {
    std::vector<uint32_t> late;
    for (const auto& [c, sent] : state.outstanding) {
      if (sent + options_.request_timeout <= now) late.push_back(c);
    }
    if (late.empty()) continue;
    for (uint32_t c : late) {
      DropRequest(state, c);
      expired.push_back({PeerHandle{id}, ChunkIndex{c}});
    }
    state.window = std::max(1, state.window / 2);
    ++state.consecutive_timeouts;
  }
  return expired;
}

bool ChunkScheduler::Has(ChunkIndex chunk) const {
  return Idx(chunk) < chunk_count_ && have_[Idx(chunk)];
}

bool ChunkScheduler::IsOutstanding(PeerHandle peer, ChunkIndex chunk) const {
  const PeerState* state = Find(peer);
  if (state == nullptr) return false;
  return std::any_of(state->outstanding.begin(), state->outstanding.end(),
                     [c = Idx(chunk)](const auto& entry) { return entry.first == c; });
}

bool ChunkScheduler::IsBanned(PeerHandle peer) const {
  const PeerState* state = Find(peer);
  return state != nullptr && state->banned;
}

bool ChunkScheduler::IsStalled(PeerHandle peer) const {
  const PeerState* state = Find(peer);
  return state != nullptr && state->consecutive_timeouts >= options_.max_consecutive_timeouts;
}

int ChunkScheduler::Strikes(PeerHandle peer) const {
  const PeerState* state = Find(peer);
  return state == nullptr ? 0 : state->strikes;
}

int ChunkScheduler::Window(PeerHandle peer) const {
  const PeerState* state = Find(peer);
  return state == nullptr ? 0 : state->window;
}

int ChunkScheduler::Outstanding(PeerHandle peer) const {
  const PeerState* state = Find(peer);
  return state == nullptr ? 0 : static_cast<int>(state->outstanding.size());
}

int ChunkScheduler::Availability(ChunkIndex chunk) const {
  return Idx(chunk) < chunk_count_ ? static_cast<int>(availability_[Idx(chunk)]) : 0;
}

}  // namespace pytorrent::peer

namespace pytorrent::peer {

bool ChunkScheduler::PeerHasNeeded(PeerHandle peer) const {
  const PeerState* state = Find(peer);
  if (state == nullptr) return false;
  for (uint32_t c = 0; c < chunk_count_; ++c) {
    if (!have_[c] && state->has[c]) return true;
  }
  return false;
}

}  // namespace pytorrent::peer
