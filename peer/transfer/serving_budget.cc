#include "peer/transfer/serving_budget.h"

#include <algorithm>
#include <limits>

namespace pytorrent::peer {

ServingBudgetOptions ServingBudgetFor(uint32_t total_mib) {
  ServingBudgetOptions options;
  options.total_bytes = static_cast<int64_t>(total_mib) << 20;
  options.initial_share_bytes = std::min<int64_t>(1ll << 20, options.total_bytes / 8);
  options.max_share_bytes = std::min<int64_t>(16ll << 20, options.total_bytes / 4);
  options.reserve_bytes = options.total_bytes / 8;
  return options;
}

ServingBudget::ServingBudget(ServingBudgetOptions options) : options_(options) {}

int64_t ServingBudget::HeldBy(RequesterId requester) const {
  auto it = requesters_.find(requester);
  return it == requesters_.end() ? 0 : it->second.held_bytes;
}

int64_t ServingBudget::ShareOf(RequesterId requester) const {
  auto it = requesters_.find(requester);
  return ShareOf(it == requesters_.end() ? nullptr : &it->second);
}

int64_t ServingBudget::EarnedShareOf(const Requester* requester) const {
  const int64_t drained = requester == nullptr ? 0 : std::max<int64_t>(0, requester->drained_bytes);
  return std::min(options_.max_share_bytes, options_.initial_share_bytes + drained);
}

int64_t ServingBudget::ShareOf(const Requester* requester) const {
  const int64_t earned = EarnedShareOf(requester);
  if (earned <= options_.initial_share_bytes) return earned;
  // Count this requester among the holders even if it holds nothing yet.
  const bool holding = requester != nullptr && requester->held_bytes > 0;
  const int64_t holders = holders_ + (holding ? 0 : 1);
  // The fair level is at least an equal split: no sort needed below it.
  if (earned <= options_.total_bytes / std::max<int64_t>(1, holders)) return earned;
  std::vector<int64_t> earned_shares;
  earned_shares.reserve(static_cast<size_t>(holders));
  for (const auto& [id, r] : requesters_) {
    if (r.held_bytes > 0) earned_shares.push_back(EarnedShareOf(&r));
  }
  if (!holding) earned_shares.push_back(earned);
  return std::min(earned, std::max(options_.initial_share_bytes,
                                   FairLevel(std::move(earned_shares), options_.total_bytes)));
}

int64_t ServingBudget::FairLevel(std::vector<int64_t> earned_shares, int64_t total_bytes) {
  std::sort(earned_shares.begin(), earned_shares.end());
  int64_t left = total_bytes;
  for (size_t i = 0; i < earned_shares.size(); ++i) {
    const int64_t sharing = static_cast<int64_t>(earned_shares.size() - i);
    // Everyone from here on earned at least earned_shares[i]: if that much
    // each does not fit, they split what is left equally.
    if (earned_shares[i] > left / sharing) return left / sharing;
    left -= earned_shares[i];
  }
  return std::numeric_limits<int64_t>::max();  // every earned share fits
}

BudgetVerdict ServingBudget::TryCharge(RequesterId requester, int64_t bytes, absl::Time now) {
  if (bytes < 0) bytes = 0;
  auto it = requesters_.find(requester);
  const Requester* existing = it == requesters_.end() ? nullptr : &it->second;
  const int64_t held = existing == nullptr ? 0 : existing->held_bytes;
  // A first chunk is always allowed past the share (never past the total),
  // so a chunk bigger than a share is still served.
  if (held > 0 && held + bytes > ShareOf(existing)) return BudgetVerdict::kOverShare;
  const int64_t total = held < options_.initial_share_bytes
                            ? options_.total_bytes
                            : options_.total_bytes - options_.reserve_bytes;
  if (held_bytes_ + bytes > total) return BudgetVerdict::kOverTotal;
  Requester& r = requesters_[requester];
  if (r.held_bytes == 0) {
    ++holders_;
    r.last_progress = now;
    r.stall_reported = false;
  }
  r.held_bytes += bytes;
  held_bytes_ += bytes;
  peak_held_bytes_ = std::max(peak_held_bytes_, held_bytes_);
  return BudgetVerdict::kGranted;
}

void ServingBudget::Release(RequesterId requester, int64_t bytes, bool drained, absl::Time now) {
  auto it = requesters_.find(requester);
  if (it == requesters_.end() || bytes <= 0) return;
  Requester& r = it->second;
  const int64_t released = std::min(bytes, r.held_bytes);
  r.held_bytes -= released;
  held_bytes_ -= released;
  if (r.held_bytes == 0 && released > 0) --holders_;
  if (drained) {
    r.drained_bytes = std::min(options_.max_share_bytes, r.drained_bytes + released);
    r.last_progress = now;
    r.stall_reported = false;
  }
}

std::vector<RequesterId> ServingBudget::TakeStalled(absl::Time now) {
  std::vector<RequesterId> stalled;
  for (auto it = requesters_.begin(); it != requesters_.end();) {
    Requester& r = it->second;
    if (r.held_bytes > 0 && !r.stall_reported && now - r.last_progress >= options_.stall_timeout) {
      r.stall_reported = true;
      stalled.push_back(it->first);
    }
    if (r.held_bytes == 0 && now - r.last_progress >= options_.forget_after) {
      it = requesters_.erase(it);
    } else {
      ++it;
    }
  }
  return stalled;
}

}  // namespace pytorrent::peer
