#ifndef PYTORRENT_PEER_DOWNLOAD_DOWNLOAD_H_
#define PYTORRENT_PEER_DOWNLOAD_DOWNLOAD_H_

// One download, end to end, as a state machine with no I/O of its own:
// peers from the tracker (through the host), the manifest from any peer
// verified against the root, chunks from every peer in parallel as
// ChunkScheduler decides, strikes and bans for bad chunks, and the storage
// pipeline (DownloadStorage) checking, writing and finally verifying and
// publishing the file. Peers are reached through PeerLinks; storage answers
// through DownloadStorage::Sink; time comes in as arguments or from the
// injected clock. So the whole machine runs in a unit test against a
// scripted swarm and a fake clock (tests/peer/download_test.cc).
//
// States: STARTING (looking for peers and a manifest) -> VERIFYING (storage
// opens the partial file and checks what is already there) -> DOWNLOADING
// -> VERIFYING (whole-file check; chunks found bad on disk go back to
// DOWNLOADING and are fetched again) -> COMPLETED; FAILED or CANCELLED from
// anywhere. The loop never waits meanwhile.
//
// Example (inside the node's loop):
//   Download d(options, host, clock, std::move(links), make_storage);
//   d.Start(now);                        // host.RequestPeers(...)
//   d.OnPeers(tracker_answer, now);      // links.Open(...) per peer
//   d.OnMessage(handle, message, bytes, now);  // what a link received
//   d.AfterMessages(handle, now);        // after a batch: send requests
//   d.Tick(now);                         // regularly
//
// Not thread-safe: owned by the node's loop thread.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sha256.h"
#include "common/time_source.h"
#include "peer/content/manifest.h"
#include "peer/download/chunk_scheduler.h"
#include "peer/download/peer_links.h"
#include "peer/storage/chunk_bytes.h"
#include "peer/storage/download_storage.h"
#include "proto/admin.pb.h"
#include "proto/tracker.pb.h"
#include "proto/wire.pb.h"

namespace pytorrent::peer {

class Download;

struct DownloadCounters {
  // Chunks fetched over the network and verified in this process.
  uint64_t chunks_fetched = 0;
  // Chunks found verified on disk at start (resume state + recheck).
  uint64_t chunks_resumed = 0;
  uint64_t chunks_corrupt = 0;
  uint64_t chunks_duplicate = 0;
  // Chunks found damaged on disk (at resume or by the whole-file check)
  // and fetched again instead of discarding the download.
  uint64_t chunks_repaired = 0;
  uint64_t bytes_received = 0;
  uint64_t malformed_frames = 0;
  // Seconds from Start to the end (0 while running).
  double seconds = 0;
};

// What a download asks of its node. Called on the loop thread.
class DownloadHost {
 public:
  virtual ~DownloadHost() = default;
  // Asks the tracker for the file's peers; the answer comes back through
  // Download::OnPeers or OnPeersFailed.
  virtual void RequestPeers(uint64_t download_id, const Sha256Digest& root) = 0;
  // The download's partial file can now be served (verified chunks only).
  virtual void OnServable(Download& download) = 0;
  // `chunk` was verified and written.
  virtual void OnChunkStored(Download& download, uint32_t chunk) = 0;
  // The download reached COMPLETED, FAILED or CANCELLED.
  virtual void OnFinished(Download& download) = 0;
  // A new snapshot of the download's progress and counters.
  virtual void OnProgress(const v1::DownloadProgress& progress,
                          const DownloadCounters& counters) = 0;
};

struct DownloadOptions {
  uint64_t id = 0;
  Sha256Digest root{};
  bool overwrite = false;
  uint64_t self_peer_id = 0;
  std::string self_endpoint;
  SchedulerOptions scheduler;
  uint64_t tie_break_seed = 1;
  absl::Duration peer_refresh = absl::Seconds(5);
  // Resume saves (fdatasync + state + page-cache drop). Short on purpose:
  // dropping synced pages often keeps the dirty page cache small, which cut
  // the leecher's CPU per GiB by ~19% vs. 1 s (tests/bench:swarm_bench).
  absl::Duration persist_interval = absl::Milliseconds(200);
  absl::Duration progress_interval = absl::Milliseconds(100);
  // A dropped (stalled) peer is not reconnected before this.
  absl::Duration reconnect_backoff = absl::Seconds(30);
  // A peer that has not answered at all by then is dropped as unreachable
  // (and dialled again after the backoff).
  absl::Duration connect_timeout = absl::Seconds(20);
  // Fails the download when every known peer has been banned or
  // unreachable for this long (a file nobody has yet waits forever).
  absl::Duration give_up_after = absl::Seconds(120);
};

class Download final : private DownloadStorage::Sink {
 public:
  // Makes the download's storage; its completions go to `sink`.
  using StorageFactory =
      std::function<std::unique_ptr<DownloadStorage>(DownloadStorage::Sink& sink)>;

  Download(DownloadOptions options, DownloadHost& host, const TimeSource& clock,
           std::unique_ptr<PeerLinks> links, const StorageFactory& make_storage);
  ~Download() override;
  Download(const Download&) = delete;
  Download& operator=(const Download&) = delete;

  void Start(absl::Time now);
  void OnPeers(const v1::GetFilePeersResponse& response, absl::Time now);
  void OnPeersFailed(const absl::Status& status, absl::Time now);

  // A message session `handle` received; `data` is the raw chunk frame after
  // a ChunkData header (empty otherwise).
  void OnMessage(PeerHandle handle, const v1::PeerMessage& message, ChunkBytes data,
                 absl::Time now);
  // After a batch of OnMessage from `handle`: sends the requests it allows.
  void AfterMessages(PeerHandle handle, absl::Time now);
  void Tick(absl::Time now);
  // Stops, deletes the partial file and resume state; state CANCELLED.
  void Cancel(absl::Time now);

  uint64_t id() const { return options_.id; }
  const Sha256Digest& root() const { return options_.root; }
  v1::DownloadState state() const { return state_; }
  bool finished() const;
  const Manifest* manifest() const { return manifest_.get(); }
  std::shared_ptr<const Manifest> shared_manifest() const { return manifest_; }
  // True if `chunk` is verified on disk.
  bool HasChunk(uint32_t chunk) const;
  // The data file (partial, or published after completion): descriptor and
  // path; -1 / empty before storage opened it or after the download ended.
  int data_fd() const { return storage_ != nullptr ? storage_->fd() : -1; }
  std::string data_path() const { return storage_ != nullptr ? storage_->path() : std::string(); }
  const std::string& final_path() const { return final_path_; }
  const DownloadCounters& counters() const { return counters_; }
  // Why it FAILED (OK otherwise): the node retries failures for disk space.
  const absl::Status& failure() const { return failure_; }
  // The links it was made with (the node polls ZmqPeerLinks' sockets).
  PeerLinks& links() { return *links_; }
  v1::DownloadProgress Progress(absl::Time now) const;

 private:
  struct Session {
    PeerHandle handle{};
    uint64_t peer_id = 0;
    std::string username;
    std::string endpoint;
    bool have_bitfield = false;
    std::string pending_bits;
    std::vector<uint32_t> pending_haves;
    bool pending_all = false;
    uint64_t bytes_received = 0;
    uint32_t strikes = 0;
    absl::Time opened_at;
    bool answered = false;
    absl::Time answered_at;
    absl::Time last_no_credit = absl::InfinitePast();
  };
  struct Gone {  // banned or dropped peers, for status and backoff
    uint64_t peer_id = 0;
    std::string username;
    std::string endpoint;
    uint64_t bytes_received = 0;
    uint32_t strikes = 0;
    bool banned = false;
    absl::Time retry_after = absl::InfiniteFuture();
    absl::Time since;
    // Why it went, in words.
    std::string why;
  };

  // DownloadStorage::Sink.
  void OnOpened(absl::StatusOr<DownloadStorage::Opened> opened) override;
  void OnStored(std::vector<DownloadStorage::Stored> stored) override;
  void OnFinalized(DownloadStorage::Finalized finalized) override;

  void Connect(const v1::FilePeer& peer, absl::Time now);
  void OnManifest(Session& session, const v1::ManifestResponse& response, absl::Time now);
  void OnBitfield(Session& session, const v1::Bitfield& bitfield, absl::Time now);
  void ApplyHoldings(Session& session);
  void OnChunk(Session& session, const v1::ChunkData& header, ChunkBytes data, absl::Time now);
  void OnStoredOne(DownloadStorage::Stored& stored, absl::Time now);
  // A chunk from `handle` failed its check: strike (and maybe ban).
  void OnCorrupt(PeerHandle handle, uint32_t chunk, absl::Time now);
  void Pump(Session& session, absl::Time now);
  void PumpAll(absl::Time now);
  bool SendTo(PeerHandle handle, const v1::PeerMessage& message);
  void DropSession(PeerHandle handle, bool banned, absl::Time now, std::string why);
  void RecordGone(const Session& session, bool banned, absl::Time retry_after, absl::Time now,
                  std::string why);
  // The peer as DownloadProgress shows it.
  void DescribeSession(const Session& s, absl::Time now, v1::PeerContribution& out) const;
  // True if some peer answered and may still send chunks we need.
  bool AnyPeerUsable() const;
  // Why nothing arrives (empty while data flows): DownloadProgress.waiting_reason.
  std::string WaitingReason(absl::Time now) const;
  void StartFinalize(absl::Time now);
  void Fail(const absl::Status& status, absl::Time now);
  void Finish(v1::DownloadState state, absl::Time now);
  void PublishProgress(absl::Time now, bool force);

  DownloadOptions options_;
  DownloadHost& host_;
  const TimeSource& clock_;
  std::unique_ptr<PeerLinks> links_;
  std::unique_ptr<DownloadStorage> storage_;
  std::string root_bytes_;
  v1::DownloadState state_ = v1::DOWNLOAD_STATE_STARTING;
  std::string error_;
  absl::Status failure_;
  std::string final_path_;
  std::shared_ptr<const Manifest> manifest_;
  std::unique_ptr<ChunkScheduler> scheduler_;
  uint32_t chunks_done_ = 0;
  std::map<uint32_t, Session> sessions_;
  std::map<std::string, Gone> gone_;  // by endpoint
  uint32_t next_handle_ = 1;
  // What the last peer lookup said when it found nobody (empty otherwise).
  std::string lookup_note_;
  // Since when no known peer has been usable (InfiniteFuture: one is).
  absl::Time unusable_since_ = absl::InfiniteFuture();
  absl::Time last_chunk_at_;
  bool peers_requested_ = false;
  absl::Time next_peer_refresh_ = absl::InfinitePast();
  absl::Time started_at_;
  absl::Time finished_at_;
  absl::Time last_progress_ = absl::InfinitePast();
  absl::Time last_persist_ = absl::InfinitePast();
  uint64_t rate_bytes_per_s_ = 0;
  uint64_t rate_mark_bytes_ = 0;
  absl::Time rate_mark_time_ = absl::InfinitePast();
  DownloadCounters counters_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_DOWNLOAD_DOWNLOAD_H_
