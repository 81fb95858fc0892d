#ifndef PYTORRENT_PEER_DOWNLOAD_RECORDS_H_
#define PYTORRENT_PEER_DOWNLOAD_RECORDS_H_

// `DownloadRecords` is what a node tells about its downloads: the last
// snapshot (progress and a version that grows with each change) and the
// counters of every download in progress and of the last `history`
// finished ones (older ones are forgotten; logs/download.log keeps every
// completion), and which download is active for each root (asking again
// for an active root gives its id, not a second download).
//
// Example:
//   DownloadRecords records(/*history=*/100);
//   if (auto id = records.ActiveFor(root)) return *id;
//   uint64_t id = records.Begin(root, "song.mp3");
//   records.Update(progress, counters);  // each change the download reports
//   records.EndActive(root, id);         // when it finished
//
// Pure bookkeeping. Not thread-safe: the node guards it with its mutex.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "common/sha256.h"
#include "peer/download/download.h"
#include "peer/peer_control.h"

namespace pytorrent::peer {

class DownloadRecords {
 public:
  explicit DownloadRecords(size_t history) : history_(history) {}

  // The download active for `root`, if there is one.
  std::optional<uint64_t> ActiveFor(const Sha256Digest& root) const;
  // A new download of `root`: its id (1, 2, …), state STARTING, version 1.
  uint64_t Begin(const Sha256Digest& root, const std::string& name);
  // Download `progress.download_id()` changed: a new snapshot version. A
  // terminal state enters the history, whose oldest beyond `history` is
  // forgotten. Ids not begun here (or already forgotten) are ignored.
  void Update(const v1::DownloadProgress& progress, const DownloadCounters& counters);
  // Download `id` of `root` ended: `root` may be downloaded again.
  void EndActive(const Sha256Digest& root, uint64_t id);

  // Null if unknown or forgotten.
  const DownloadSnapshot* Find(uint64_t id) const;
  const DownloadCounters* Counters(uint64_t id) const;
  // Every download known, by id.
  const std::map<uint64_t, DownloadSnapshot>& snapshots() const { return snapshots_; }
  // Downloads not finished, and their summed rate.
  struct Activity {
    uint32_t active = 0;
    uint64_t rate_bytes_per_s = 0;
  };
  Activity CurrentActivity() const;

 private:
  size_t history_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, DownloadSnapshot> snapshots_;
  std::map<uint64_t, DownloadCounters> counters_;
  // Finished downloads still known, oldest first.
  std::deque<uint64_t> finished_;
  std::map<Sha256Digest, uint64_t> active_by_root_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_DOWNLOAD_RECORDS_H_
