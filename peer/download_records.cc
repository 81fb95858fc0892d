#include "peer/download_records.h"

namespace pytorrent::peer {

std::optional<uint64_t> DownloadRecords::ActiveFor(const Sha256Digest& root) const {
  auto it = active_by_root_.find(root);
  if (it == active_by_root_.end()) return std::nullopt;
  return it->second;
}

uint64_t DownloadRecords::Begin(const Sha256Digest& root, const std::string& name) {
  const uint64_t id = next_id_++;
  active_by_root_[root] = id;
  DownloadSnapshot& snapshot = snapshots_[id];
  snapshot.progress.set_download_id(id);
  snapshot.progress.set_root_hash(DigestToBytes(root));
  snapshot.progress.set_name(name);
  snapshot.progress.set_state(v1::DOWNLOAD_STATE_STARTING);
  snapshot.version = 1;
  counters_[id] = DownloadCounters{};
  return id;
}

void DownloadRecords::Update(const v1::DownloadProgress& progress,
                             const DownloadCounters& counters) {
  const uint64_t id = progress.download_id();
  auto it = snapshots_.find(id);
  if (it == snapshots_.end()) return;
  DownloadSnapshot& snapshot = it->second;
  const bool was_terminal = IsTerminalDownloadState(snapshot.progress.state());
  snapshot.progress = progress;
  ++snapshot.version;
  counters_[id] = counters;
  if (!was_terminal && IsTerminalDownloadState(progress.state())) {
    finished_.push_back(id);
    while (finished_.size() > history_) {
      snapshots_.erase(finished_.front());
      counters_.erase(finished_.front());
      finished_.pop_front();
    }
  }
}

void DownloadRecords::EndActive(const Sha256Digest& root, uint64_t id) {
  auto it = active_by_root_.find(root);
  if (it != active_by_root_.end() && it->second == id) active_by_root_.erase(it);
}

const DownloadSnapshot* DownloadRecords::Find(uint64_t id) const {
  auto it = snapshots_.find(id);
  return it == snapshots_.end() ? nullptr : &it->second;
}

const DownloadCounters* DownloadRecords::Counters(uint64_t id) const {
  auto it = counters_.find(id);
  return it == counters_.end() ? nullptr : &it->second;
}

DownloadRecords::Activity DownloadRecords::CurrentActivity() const {
  Activity activity;
  for (const auto& [id, snapshot] : snapshots_) {
    if (!IsTerminalDownloadState(snapshot.progress.state())) {
      ++activity.active;
      activity.rate_bytes_per_s += snapshot.progress.rate_bytes_per_s();
    }
  }
  return activity;
}

}  // namespace pytorrent::peer
