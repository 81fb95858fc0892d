#ifndef PYTORRENT_PEER_PEER_NODE_H_
#define PYTORRENT_PEER_PEER_NODE_H_

// A running peer: shares `user/shared_files/`, serves chunks on a ZeroMQ
// ROUTER, downloads into `user/downloads/`, announces to the tracker, and
// implements PeerControl for the admin plane.
//
// Threads:
//   - loop: owns the zmq context's sockets (seeder ROUTER, one DEALER per
//     remote peer per download), the FileBook (every file the node holds:
//     shared copies, re-seeded downloads, downloads in progress, seeding
//     switches) and every Download. Other threads reach it only through
//     Post() (a queue + eventfd polled beside the sockets), and read the
//     book as a view it publishes under `mu_` after each change (new
//     chunks at most once a tick).
//   - tracker: blocking TrackerClient calls (announce every interval or when
//     the file set changes; while downloading, the count of chunks held is
//     re-announced at most every kChunkAnnounceInterval; peer lookups for
//     downloads), results posted back.
//   - scanner: rescans the shared folder every `scan_interval`, hashes
//     new or changed files (manifest cache in state/manifests) and posts
//     what changed to the loop, which books it.
// Username: GetStatus reports an empty username until one is configured
// (--username, the config file, UpdateSettings or ChangeUsername), so the
// CLI's first run asks for one. Until then the node registers on the tracker
// under a placeholder `peer-<8 hex digits of its peer id>`.
// Seeding switches (SetSeeding) survive restarts: state/seeding_off lists the
// root hashes (hex, one per line) not served.
// Several identical files in the shared folder are booked by path: the file
// is withdrawn only when the last copy goes.
// PeerControl methods are thread-safe: they read snapshots under `mu_` or
// post commands to the loop; AwaitDownloadChange waits (with a deadline) on
// a condition signalled only when a download changes.
// Settings: what cannot change at run time (chunk size, reseed, intervals)
// is read from `options_`, never written after Start; what UpdateSettings
// and ChangeUsername change (username, tracker address) is `settings_`,
// under `mu_`, and the config file is saved outside `mu_` (settings_mu_
// keeps saves in order).
// Shared state: every member read by more than one thread is below `mu_`
// and annotated; `bazel build --config=tsa` (clang -Wthread-safety) checks
// that each access holds it.
//
// Example:
//   auto node = PeerNode::Start(options, std::move(tracker_client));
//   (*node)->WaitReady(absl::Seconds(10));
//   uint64_t id = *(*node)->StartDownload(request);
//   (*node)->Stop();

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/event_loop.h"
#include "common/mutex.h"
#include "common/time_source.h"
#include "peer/content/manifest_cache.h"
#include "peer/download/chunk_scheduler.h"
#include "peer/download/download.h"
#include "peer/download_records.h"
#include "peer/file_book.h"
#include "peer/peer_config.h"
#include "peer/peer_control.h"
#include "peer/shared_folder.h"
#include "peer/space_retry.h"
#include "peer/storage/background_executor.h"
#include "peer/storage/line_log.h"
#include "peer/tracker_client.h"
#include "peer/transfer/zmq_seeder.h"
#include "zmq.hpp"

namespace pytorrent::peer {

struct PeerNodeOptions {
  // The node's home: config/, logs/, user/shared_files/, user/downloads/, state/.
  std::string home;
  PeerConfig config;
  // Where ChangeUsername / UpdateSettings save the config (atomically);
  // empty: not saved.
  std::string config_path;
  // Makes the tracker client for a new tracker address, so UpdateSettings
  // can switch trackers without a restart. Unset: a changed address is saved
  // and used from the next start only.
  std::function<absl::StatusOr<std::unique_ptr<TrackerClient>>(const std::string& host,
                                                               uint16_t port)>
      tracker_factory;
  absl::Duration scan_interval = absl::Seconds(1);
  absl::Duration stable_age = absl::Seconds(1);
  SchedulerOptions scheduler;
  // Test-only faults of the seeder.
  bool fault_corrupt_chunks = false;
  uint64_t fault_throttle_bytes_per_s = 0;
  // Resume downloads whose resume state is in state/ at start.
  bool auto_resume = true;
  // 0: random. main.cc passes the ones kept in state/identity.
  uint64_t peer_id = 0;
  uint64_t peer_key = 0;
  // Finished downloads whose final snapshot (and counters) stay queryable;
  // older ones are forgotten (logs/download.log keeps every completion).
  size_t download_history = 100;
};

class PeerNode final : public PeerControl, private DownloadHost {
 public:
  // Creates the home layout, binds the chunk endpoint and starts the threads.
  // INVALID_ARGUMENT for a bad endpoint or chunk size; errors creating
  // folders pass through.
  static absl::StatusOr<std::unique_ptr<PeerNode>> Start(PeerNodeOptions options,
                                                         std::unique_ptr<TrackerClient> tracker);
  ~PeerNode() override;

  // Waits until the first shared-folder scan is hashed and announced (or
  // `timeout`). DEADLINE_EXCEEDED on timeout.
  absl::Status WaitReady(absl::Duration timeout);
  // Leaves the tracker and stops every thread. Idempotent.
  void Stop();
  // True once Disconnect() was called.
  bool stop_requested() const { return stop_requested_.load(); }
  const std::string& chunk_endpoint() const { return chunk_endpoint_; }
  uint64_t peer_id() const { return peer_id_; }
  // Counters of a download (NOT_FOUND for an unknown id).
  absl::StatusOr<DownloadCounters> GetDownloadCounters(uint64_t download_id);
  SeederCounters GetSeederCounters();
  // Download objects alive on the loop (in progress, plus finished ones
  // not yet released) and partial files the seeder tracks, as counted on
  // the loop. DEADLINE_EXCEEDED if the loop does not answer in `timeout`.
  struct LoopSizes {
    size_t downloads = 0;
    size_t partial_files = 0;
  };
  absl::StatusOr<LoopSizes> GetLoopSizes(absl::Duration timeout);

  // PeerControl.
  v1::PeerStatus GetStatus() override;
  absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) override;
  v1::ListSharedFilesResponse ListSharedFiles() override;
  absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) override;
  absl::StatusOr<uint64_t> StartDownload(const v1::StartDownloadRequest& request) override;
  absl::StatusOr<DownloadSnapshot> AwaitDownloadChange(uint64_t download_id, uint64_t after_version,
                                                       absl::Time deadline) override;
  v1::ListDownloadsResponse ListDownloads() override;
  absl::Status CancelDownload(uint64_t download_id) override;
  absl::StatusOr<v1::SharedFile> ShareFile(const std::string& path) override;
  absl::Status SetSeeding(const std::string& root_hash, bool seeding) override;
  absl::Status ChangeUsername(const std::string& new_username) override;
  absl::Status UpdateSettings(const v1::UpdateSettingsRequest& request) override;
  absl::Status Disconnect() override;

 private:
  struct Lookup {
    uint64_t download_id;
    Sha256Digest root;
  };
  // What UpdateSettings / ChangeUsername change while the node runs.
  struct NodeSettings {
    // As configured ("" until one is: GetStatus then reports none).
    std::string configured_username;
    // What the tracker knows us as (a placeholder until configured).
    std::string username;
    std::string tracker_host;
    uint16_t tracker_port = 0;
    bool tracker_configured = false;
  };

  explicit PeerNode(PeerNodeOptions options, std::unique_ptr<TrackerClient> tracker);

  // DownloadHost (loop thread).
  void RequestPeers(uint64_t download_id, const Sha256Digest& root) override;
  void OnServable(Download& download) override;
  void OnChunkStored(Download& download, uint32_t chunk) override;
  void OnFinished(Download& download) override;
  void OnProgress(const v1::DownloadProgress& progress, const DownloadCounters& counters) override;
  // Loop thread: starts again the downloads that failed for disk space and
  // whose retry is due (they resume from what is verified on disk).
  void RetryForSpace();

  void Post(std::function<void()> task) { loop_.Post(std::move(task)); }
  void LoopMain();
  // Loop thread: ticks every download and copies the seeder's counters,
  // then re-arms itself (a loop_ timer).
  void Tick();
  void TrackerMain();
  void ScannerMain();
  // Sends the current file set; false if the tracker did not take it.
  bool Announce(TrackerClient& tracker);
  // The current tracker client (UpdateSettings may replace it).
  std::shared_ptr<TrackerClient> Tracker();
  // Sets `updates` in the config file, leaving every other line as it is.
  // Disk I/O (fsync): never called with mu_ held.
  absl::Status SaveConfig(const std::vector<std::pair<std::string, std::string>>& updates)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(settings_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SaveSeedingOff(const std::set<Sha256Digest>& roots)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(settings_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Before the loop starts: the switches saved in state/seeding_off.
  void LoadSeedingOff();
  // Loop thread: books a scan's changes.
  void ApplyScan(const SharedFolder::Changes& changes);
  // Loop thread, after the book changed: the seeder forgets what is no
  // longer served, and the view is published.
  void BookChanged();
  // Loop thread: publishes the book's view (and marks what changed for the
  // announcer).
  void PublishBook() ABSL_LOCKS_EXCLUDED(mu_);
  // Runs `question` on the loop and waits for its answer (DEADLINE_EXCEEDED
  // after `timeout`, or if the node stops first). For quick questions only.
  template <typename T>
  absl::StatusOr<T> AskLoop(std::function<T()> question, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_) {
    auto answer = std::make_shared<std::optional<T>>();  // guarded by mu_
    Post([this, answer, question = std::move(question)] {
      T value = question();
      {
        MutexLock lock(mu_);
        *answer = std::move(value);
      }
      node_state_.SignalAll();
    });
    MutexLock lock(mu_);
    node_state_.WaitUntil(mu_, absl::Now() + timeout,
                          [&] { return answer->has_value() || stopping_.load(); });
    if (!answer->has_value()) return absl::DeadlineExceededError("the loop did not answer in time");
    return std::move(**answer);
  }
  void MarkTrackerResult(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  // Never written after Start (see NodeSettings for what changes).
  PeerNodeOptions options_;
  uint64_t peer_id_ = 0;
  uint64_t peer_key_ = 0;
  std::string shared_dir_, downloads_dir_, state_dir_, logs_dir_;
  std::string chunk_endpoint_;
  zmq::context_t context_;
  // The loop thread's posted work and timers (its wake fd is polled beside
  // the ZeroMQ sockets).
  EventLoop loop_;
  std::unique_ptr<ManifestCache> manifest_cache_;
  RealTimeSource clock_;
  // Slow one-off disk work of downloads (resume checks, finalize, last
  // state saves); drained at Stop, after the downloads are gone.
  std::unique_ptr<BackgroundExecutor> disk_ = std::make_unique<BackgroundExecutor>(2);
  // logs/download.log, appended through `disk_`.
  std::unique_ptr<LineLog> download_log_;

  // Loop thread only (and Start's before the loop runs).
  FileBook book_;
  // The book's versions last published.
  uint64_t published_files_version_ = 0;
  uint64_t published_chunks_version_ = 0;
  std::unique_ptr<ZmqSeeder> seeder_;
  // Downloads in progress (a finished one is erased right after its final
  // snapshot is published).
  std::map<uint64_t, std::unique_ptr<Download>> downloads_;
  // Downloads that failed for disk space, waiting to be tried again.
  SpaceRetry space_retry_{SpaceRetryOptions{}};

  // Serializes UpdateSettings / ChangeUsername / SetSeeding and the saves
  // they make (they call the tracker and the disk without holding mu_).
  Mutex settings_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  // Everything below is shared between the loop, tracker, scanner and gRPC
  // threads. Each waiter has its own condition, so a change wakes only the
  // threads it concerns (all three are signalled at Stop):
  Mutex mu_;
  // The tracker thread: lookups queued, the file set, chunk counts, the
  // settings or the first scan changed.
  CondVar tracker_work_;
  // AwaitDownloadChange: a download's snapshot changed.
  CondVar download_changed_;
  // WaitReady, AskLoop and the scanner's pause: readiness, a loop answer.
  CondVar node_state_;
  NodeSettings settings_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<TrackerClient> tracker_ ABSL_GUARDED_BY(mu_);
  // The book as last published by the loop (rows in root order).
  std::shared_ptr<const std::vector<HeldFile>> held_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const std::vector<HeldFile>>();
  // Snapshots and counters of downloads in progress and of the last
  // options_.download_history finished ones.
  DownloadRecords records_ ABSL_GUARDED_BY(mu_){options_.download_history};
  std::deque<Lookup> lookups_ ABSL_GUARDED_BY(mu_);
  SeederCounters seeder_counters_ ABSL_GUARDED_BY(mu_);
  bool announce_dirty_ ABSL_GUARDED_BY(mu_) = true;
  // A partial download gained chunks since the last announce.
  bool chunks_dirty_ ABSL_GUARDED_BY(mu_) = false;
  // Clients of trackers we switched away from: the tracker thread leaves them.
  std::vector<std::shared_ptr<TrackerClient>> old_trackers_ ABSL_GUARDED_BY(mu_);
  bool scanned_once_ ABSL_GUARDED_BY(mu_) = false;
  bool announced_once_ ABSL_GUARDED_BY(mu_) = false;
  bool tracker_reachable_ ABSL_GUARDED_BY(mu_) = false;
  // A tracker accepted an announce from this node (so Stop says Leave).
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t downloaded_bytes_ ABSL_GUARDED_BY(mu_) = 0;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopped_{false};
  std::thread loop_thread_, tracker_thread_, scanner_thread_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_PEER_NODE_H_
