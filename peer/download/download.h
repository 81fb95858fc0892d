#ifndef PYTORRENT_PEER_DOWNLOAD_DOWNLOAD_H_
#define PYTORRENT_PEER_DOWNLOAD_DOWNLOAD_H_

// One download, end to end: peers from the tracker (through the host),
// the manifest from any peer verified against the root, chunks from every
// peer in parallel as ChunkScheduler decides, each chunk's SHA-256 checked
// before it is written, strikes and bans for bad chunks, resume state saved
// as it goes, and at completion the whole-file SHA-256 (hashed in order
// while chunks arrive), fsync and rename into the downloads folder.
//
// Threads: received chunk frames go to a ChunkVerifier pool (SHA-256 check +
// positioned write) while the loop keeps receiving; results come back
// through the pool's wake socket (session handle 0 in CollectSockets). The
// whole-file hash is fed from the verified buffers while they are in memory
// (bounded reorder window) and reads the rest back from disk.
//
// Resume: after a crash, chunks recorded in the resume state are trusted
// and the rest of the partial file is re-hashed once against the manifest
// (chunks written after the last state save are recovered), so only chunks
// that were in flight are fetched again.
//
// Example (inside the node's loop):
//   Download d(options, host);
//   d.Start(now);                        // host.RequestPeers(...)
//   d.OnPeers(tracker_answer, now);      // connects DEALERs
//   // poll d's sockets; d.OnReadable(handle, now); d.Tick(now) regularly
//
// Not thread-safe: owned by the node's loop thread.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sha256.h"
#include "peer/content/manifest.h"
#include "peer/download/chunk_scheduler.h"
#include "peer/storage/chunk_verifier.h"
#include "peer/storage/file_hasher.h"
#include "peer/storage/partial_file.h"
#include "peer/storage/resume_state.h"
#include "peer/storage/resume_writer.h"
#include "peer/transfer/zmq_leecher.h"
#include "proto/admin.pb.h"
#include "proto/tracker.pb.h"
#include "zmq.hpp"

namespace pytorrent::peer {

class Download;

struct DownloadCounters {
  // Chunks fetched over the network and verified in this process.
  uint64_t chunks_fetched = 0;
  // Chunks found verified on disk at start (resume state + recheck).
  uint64_t chunks_resumed = 0;
  uint64_t chunks_corrupt = 0;
  uint64_t chunks_duplicate = 0;
  uint64_t bytes_received = 0;
  uint64_t malformed_frames = 0;
  // Seconds from Start to the end (0 while running).
  double seconds = 0;
};

// What a download asks of its node. Called on the loop thread.
class DownloadHost {
 public:
  virtual ~DownloadHost() = default;
  virtual zmq::context_t& context() = 0;
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
  std::string state_dir;
  std::string downloads_dir;
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
  // Threads that SHA-256-check and write received chunks (off the loop):
  // half the cores, 1 to 4 (1 on the 2-core bench machine, where the loop,
  // the whole-file hasher and the seeders share the other core).
  int verify_workers = std::clamp(static_cast<int>(std::thread::hardware_concurrency()) / 2, 1, 4);
  // Verified chunks just ahead of the whole-file hash's position are kept in
  // memory up to this many bytes (plus as much again handed to the hasher
  // and not yet hashed), so the whole-file SHA-256 need not read them back
  // from disk; chunks further ahead are read back.
  uint64_t hash_reorder_window_bytes = 4ull << 20;
};

class Download {
 public:
  Download(DownloadOptions options, DownloadHost& host);
  ~Download();

  void Start(absl::Time now);
  void OnPeers(const v1::GetFilePeersResponse& response, absl::Time now);
  void OnPeersFailed(const absl::Status& status, absl::Time now);

  // Sockets to poll, with the session handle of each.
  void CollectSockets(std::vector<std::pair<zmq::socket_t*, PeerHandle>>& out);
  void OnReadable(PeerHandle session, absl::Time now);
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
  // The data file (partial, or published after completion); may be null.
  PartialFile* file() { return file_.get(); }
  const std::string& final_path() const { return final_path_; }
  const DownloadCounters& counters() const { return counters_; }
  double seconds_elapsed() const { return absl::ToDoubleSeconds(finished_at_ - started_at_); }
  v1::DownloadProgress Progress(absl::Time now) const;

 private:
  struct Session {
    PeerHandle handle{};
    uint64_t peer_id = 0;
    std::string username;
    std::string endpoint;
    std::unique_ptr<ZmqLeecher> link;
    bool have_bitfield = false;
    std::string pending_bits;
    std::vector<uint32_t> pending_haves;
    bool pending_all = false;
    uint64_t bytes_received = 0;
    uint32_t strikes = 0;
  };
  struct Gone {  // banned or dropped peers, for status and backoff
    uint64_t peer_id = 0;
    std::string username;
    std::string endpoint;
    uint64_t bytes_received = 0;
    uint32_t strikes = 0;
    bool banned = false;
    absl::Time retry_after = absl::InfiniteFuture();
  };

  void Connect(const v1::FilePeer& peer, absl::Time now);
  void Handle(Session& session, ZmqLeecher::Incoming& in, absl::Time now);
  void OnManifest(Session& session, const v1::ManifestResponse& response, absl::Time now);
  void InitStorage(absl::Time now);
  void ApplyHoldings(Session& session);
  void OnChunk(Session& session, ZmqLeecher::Incoming& in, absl::Time now);
  // Takes the pool's finished jobs and handles each.
  void DrainVerifier(absl::Time now);
  void OnVerified(ChunkVerifier::Result& result, absl::Time now);
  // A chunk from `handle` failed its check: strike (and maybe ban).
  void OnCorrupt(PeerHandle handle, uint32_t chunk, absl::Time now);
  // Moves the whole-file hasher over the verified prefix.
  void AdvanceFileHash();
  void Pump(Session& session, absl::Time now);
  void DropSession(PeerHandle handle, bool banned, absl::Time now);
  void PersistResume(absl::Time now, bool force);
  void Finalize(absl::Time now);
  void Fail(absl::Status status, absl::Time now);
  void Finish(v1::DownloadState state, absl::Time now);
  void PublishProgress(absl::Time now, bool force);
  std::string PartialPath() const;
  std::string ResumePath() const;

  DownloadOptions options_;
  DownloadHost& host_;
  std::string root_bytes_;
  v1::DownloadState state_ = v1::DOWNLOAD_STATE_STARTING;
  std::string error_;
  std::string final_path_;
  std::shared_ptr<const Manifest> manifest_;
  std::unique_ptr<ChunkScheduler> scheduler_;
  std::unique_ptr<PartialFile> file_;
  std::unique_ptr<ResumeState> resume_;
  // Declared after file_: destroyed (flushed) before the file closes.
  std::unique_ptr<ResumeWriter> writer_;
  bool resume_dirty_ = false;
  absl::Time last_persist_ = absl::InfinitePast();
  // Declared after file_: stopped before the file closes.
  std::unique_ptr<FileHasher> file_hasher_;
  uint32_t hash_cursor_ = 0;
  // Declared after file_: its workers stop before the file closes.
  std::unique_ptr<ChunkVerifier> verifier_;
  // Verified chunks at or just ahead of hash_cursor_, still in memory.
  std::map<uint32_t, std::shared_ptr<zmq::message_t>> reorder_;
  // End offset of the last bytes handed to file_hasher_ with Feed.
  uint64_t fed_end_ = 0;
  std::vector<uint8_t> scratch_;
  std::map<uint32_t, Session> sessions_;
  std::map<std::string, Gone> gone_;  // by endpoint
  uint32_t next_handle_ = 1;
  bool peers_requested_ = false;
  absl::Time next_peer_refresh_ = absl::InfinitePast();
  absl::Time started_at_;
  absl::Time finished_at_;
  absl::Time last_progress_ = absl::InfinitePast();
  uint64_t rate_bytes_per_s_ = 0;
  uint64_t rate_mark_bytes_ = 0;
  absl::Time rate_mark_time_ = absl::InfinitePast();
  DownloadCounters counters_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_DOWNLOAD_DOWNLOAD_H_
