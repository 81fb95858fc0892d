#include "peer/space_retry.h"

#include <algorithm>

namespace pytorrent::peer {

absl::Duration SpaceRetry::OnFailedForSpace(const Sha256Digest& root, absl::Time now) {
  Entry& entry = pending_[root];
  ++entry.failures;
  absl::Duration wait = options_.first_wait;
  for (uint32_t i = 1; i < entry.failures && wait < options_.max_wait; ++i) wait *= 2;
  wait = std::min(wait, options_.max_wait);
  entry.due = now + wait;
  return wait;
}

std::vector<Sha256Digest> SpaceRetry::TakeDue(absl::Time now) {
  std::vector<Sha256Digest> due;
  for (auto& [root, entry] : pending_) {
    if (entry.due <= now) {
      due.push_back(root);
      entry.due = absl::InfiniteFuture();
    }
  }
  return due;
}

uint32_t SpaceRetry::Failures(const Sha256Digest& root) const {
  auto it = pending_.find(root);
  return it == pending_.end() ? 0 : it->second.failures;
}

}  // namespace pytorrent::peer
