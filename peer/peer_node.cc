#include "peer/peer_node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/log.h"
#include "common/names.h"
#include "peer/announcer.h"
#include "peer/chunk_listen.h"
#include "peer/settings_update.h"
#include "peer/shared_folder.h"
#include "peer/storage/atomic_file.h"
#include "peer/storage/disk_storage.h"
#include "peer/transfer/zmq_peer_links.h"

namespace pytorrent::peer {
namespace {

constexpr absl::Duration kLoopTick = absl::Milliseconds(50);
// While downloading, chunk counts are re-announced at most this often.
constexpr absl::Duration kChunkAnnounceInterval = absl::Seconds(5);
// Largest state/seeding_off we read (one 65-byte line per root).
constexpr uint64_t kMaxSeedingOffBytes = 1 << 20;
// How long an admin call waits for the loop to answer a quick question.
constexpr absl::Duration kLoopAnswerTimeout = absl::Seconds(5);

uint64_t RandomU64() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

v1::SharedFile ToSharedFile(const Manifest& m, bool seeding) {
  v1::SharedFile f;
  f.set_name(m.name);
  f.set_size_bytes(m.size_bytes);
  f.set_chunk_size_bytes(m.chunk_size_bytes);
  f.set_root_hash(DigestToBytes(m.root));
  f.set_file_sha256(DigestToBytes(m.file_sha256));
  f.set_seeding(seeding);
  return f;
}

// The row for `root` in a view (rows are in root order), or null.
const HeldFile* FindHeld(const std::vector<HeldFile>& rows, const Sha256Digest& root) {
  auto it = std::lower_bound(
      rows.begin(), rows.end(), root,
      [](const HeldFile& row, const Sha256Digest& r) { return row.manifest->root < r; });
  return it != rows.end() && it->manifest->root == root ? &*it : nullptr;
}

}  // namespace

PeerNode::PeerNode(PeerNodeOptions options, std::unique_ptr<TrackerClient> tracker)
    : options_(std::move(options)), tracker_(std::move(tracker)) {}

std::shared_ptr<TrackerClient> PeerNode::Tracker() {
  MutexLock lock(mu_);
  return tracker_;
}

void PeerNode::LoadSeedingOff() {
  absl::StatusOr<std::string> text =
      ReadSmallFile(state_dir_ + "/seeding_off", kMaxSeedingOffBytes);
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      PT_LOG_WARN("seeding switches not loaded: {}", text.status().ToString());
    }
    return;
  }
  size_t bad = 0;
  std::set<Sha256Digest> off;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text->data(), text->size()), '\n',
                                               absl::SkipWhitespace())) {
    Sha256Digest root{};
    if (DigestFromHex(std::string(absl::StripAsciiWhitespace(line)), root)) {
      off.insert(root);
    } else {
      ++bad;
    }
  }
  if (bad > 0) PT_LOG_WARN("state/seeding_off: {} malformed lines ignored", bad);
  book_.SetSeedingOff(std::move(off));
}

absl::Status PeerNode::SaveSeedingOff(const std::set<Sha256Digest>& roots) {
  std::string text;
  for (const Sha256Digest& root : roots) absl::StrAppend(&text, ToHex(root), "\n");
  return WriteFileAtomically(state_dir_ + "/seeding_off", text);
}

void PeerNode::BookChanged() {
  for (const Sha256Digest& root : book_.TakeWithdrawn()) seeder_->Forget(root);
  PublishBook();
}

void PeerNode::PublishBook() {
  auto view = std::make_shared<const std::vector<HeldFile>>(book_.View());
  {
    MutexLock lock(mu_);
    held_ = std::move(view);
    if (book_.files_version() != published_files_version_) announce_dirty_ = true;
    if (book_.chunks_version() != published_chunks_version_) chunks_dirty_ = true;
  }
  published_files_version_ = book_.files_version();
  published_chunks_version_ = book_.chunks_version();
  tracker_work_.SignalAll();  // the file set or chunk counts changed
}

absl::StatusOr<std::unique_ptr<PeerNode>> PeerNode::Start(PeerNodeOptions options,
                                                          std::unique_ptr<TrackerClient> tracker) {
  uint32_t chunk_size = options.config.chunk_size_kib * 1024;
  if (absl::Status s = ValidateChunkSize(chunk_size); !s.ok()) return s;
  std::unique_ptr<PeerNode> node(new PeerNode(std::move(options), std::move(tracker)));
  PeerNode& n = *node;
  const std::string& home = n.options_.home;
  n.shared_dir_ = home + "/user/shared_files";
  n.downloads_dir_ = home + "/user/downloads";
  n.state_dir_ = home + "/state";
  n.logs_dir_ = home + "/logs";
  for (const std::string& dir :
       {home + "/config", n.logs_dir_, n.shared_dir_, n.downloads_dir_, n.state_dir_}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::InternalError(absl::StrCat("create ", dir, ": ", ec.message()));
  }
  n.peer_id_ = n.options_.peer_id != 0 ? n.options_.peer_id : RandomU64();
  n.peer_key_ = n.options_.peer_key != 0 ? n.options_.peer_key : RandomU64();
  {
    MutexLock lock(n.mu_);
    const PeerConfig& config = n.options_.config;
    n.settings_.configured_username = config.username;
    n.settings_.username = config.username;
    if (n.settings_.username.empty()) {
      // Not configured: GetStatus reports "" (so the CLI asks for a name)
      // while the tracker knows this placeholder.
      n.settings_.username = absl::StrCat(
          "peer-", BytesToHex(std::string(reinterpret_cast<const char*>(&n.peer_id_), 4)));
    }
    n.settings_.tracker_host = config.tracker_host;
    n.settings_.tracker_port = config.tracker_port;
    n.settings_.tracker_configured = config.tracker_configured;
  }
  n.manifest_cache_ = std::make_unique<ManifestCache>(n.state_dir_ + "/manifests");
  n.download_log_ = std::make_unique<LineLog>(n.logs_dir_ + "/download.log", *n.disk_);
  n.LoadSeedingOff();
  SeederOptions seeder_options;
  seeder_options.peer_id = n.peer_id_;
  seeder_options.fault_corrupt_chunks = n.options_.fault_corrupt_chunks;
  seeder_options.throttle_bytes_per_s = n.options_.fault_throttle_bytes_per_s;
  seeder_options.budget = ServingBudgetFor(n.options_.config.serve_budget_mib);
  absl::StatusOr<std::unique_ptr<ZmqSeeder>> seeder =
      ZmqSeeder::Bind(n.context_, n.options_.config.chunk_listen, n.book_, seeder_options);
  if (const std::string fallback = FallbackChunkListen(n.options_.config.chunk_listen);
      absl::IsUnavailable(seeder.status()) && !fallback.empty()) {
    // The default port is taken (another node on this machine): any port
    // does, the tracker learns it from the announce.
    PT_LOG_INFO("{}; listening on {} instead", seeder.status().ToString(), fallback);
    seeder = ZmqSeeder::Bind(n.context_, fallback, n.book_, seeder_options);
  }
  if (!seeder.ok()) return seeder.status();
  n.seeder_ = *std::move(seeder);
  n.chunk_endpoint_ = n.seeder_->endpoint();
  PT_LOG_INFO("peer {:016x} serving chunks on {}", n.peer_id_, n.chunk_endpoint_);

  n.loop_thread_ = std::thread([&n] { n.LoopMain(); });
  n.tracker_thread_ = std::thread([&n] { n.TrackerMain(); });
  n.scanner_thread_ = std::thread([&n] { n.ScannerMain(); });

  if (n.options_.auto_resume) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(n.state_dir_, ec)) {
      std::string file = entry.path().filename().string();
      Sha256Digest root{};
      if (file.size() == 64 + 7 && file.substr(64) == ".resume" &&
          DigestFromHex(file.substr(0, 64), root)) {
        v1::StartDownloadRequest request;
        request.set_root_hash(DigestToBytes(root));
        absl::StatusOr<uint64_t> id = n.StartDownload(request);
        if (id.ok()) PT_LOG_INFO("resuming download {} of {}", *id, file.substr(0, 64));
      }
    }
  }
  return node;
}

PeerNode::~PeerNode() { Stop(); }

void PeerNode::Stop() {
  if (stopped_.exchange(true)) return;
  stopping_ = true;
  {
    MutexLock lock(mu_);  // a waiter checks stopping_ under mu_
    tracker_work_.SignalAll();
    download_changed_.SignalAll();
    node_state_.SignalAll();
  }
  loop_.Stop();
  if (scanner_thread_.joinable()) scanner_thread_.join();
  if (tracker_thread_.joinable()) tracker_thread_.join();
  if (loop_thread_.joinable()) loop_thread_.join();
  // Loop is gone: its objects can be torn down here, sockets before context.
  // (Work posted to it that never ran was dropped.)
  // A download that is not finished keeps its partial file: destroying it
  // hands its last resume-state save to `disk_`, drained right after.
  downloads_.clear();
  disk_.reset();
  bool joined;
  {
    MutexLock lock(mu_);
    // Null when Start failed before the chunk endpoint was bound.
    if (seeder_ != nullptr) seeder_counters_ = seeder_->counters();
    joined = joined_;
  }
  seeder_.reset();
  // Only a tracker that accepted an announce has anything to forget (a Leave
  // to one that never answered would only wait out its retries).
  if (std::shared_ptr<TrackerClient> tracker = Tracker(); tracker != nullptr && joined) {
    absl::Status s = tracker->Leave(peer_id_, peer_key_);
    if (!s.ok()) PT_LOG_INFO("leaving the tracker: {}", s.ToString());
  }
  context_.shutdown();
  context_.close();
  PT_LOG_INFO("peer {:016x} stopped", peer_id_);
}

absl::Status PeerNode::WaitReady(absl::Duration timeout) {
  MutexLock lock(mu_);
  bool ok = node_state_.WaitUntil(mu_, absl::Now() + timeout, [this] {
    mu_.AssertHeld();
    return (scanned_once_ && announced_once_) || stopping_.load();
  });
  if (!ok) return absl::DeadlineExceededError("node not ready in time");
  return absl::OkStatus();
}

// ---------------------------------------------------------------- loop thread

void PeerNode::Tick() {
  const absl::Time now = absl::Now();
  for (auto& [id, d] : downloads_) d->Tick(now);
  // New chunks of downloads reach the other threads' view at most once a tick.
  if (book_.chunks_version() != published_chunks_version_) PublishBook();
  {
    MutexLock lock(mu_);
    seeder_counters_ = seeder_->counters();
  }
  loop_.RunAfter(kLoopTick, [this] { Tick(); });
}

void PeerNode::LoopMain() {
  Tick();
  std::vector<zmq::pollitem_t> items;
  std::vector<std::pair<uint64_t, PeerHandle>> owners;  // download id, session
  std::vector<std::pair<zmq::socket_t*, PeerHandle>> sockets;
  while (!stopping_) {
    items.clear();
    owners.clear();
    items.push_back({nullptr, loop_.wake_fd(), ZMQ_POLLIN, 0});
    items.push_back({seeder_->socket().handle(), 0, ZMQ_POLLIN, 0});
    items.push_back({seeder_->reads_done_socket().handle(), 0, ZMQ_POLLIN, 0});
    constexpr size_t kFixedItems = 3;
    for (auto& [id, d] : downloads_) {
      if (d->finished()) continue;
      sockets.clear();
      static_cast<ZmqPeerLinks&>(d->links()).CollectSockets(sockets);
      for (auto& [socket, handle] : sockets) {
        items.push_back({socket->handle(), 0, ZMQ_POLLIN, 0});
        owners.emplace_back(id, handle);
      }
    }
    const absl::Duration wait =
        std::min(loop_.UntilNextTimer(),
                 seeder_->HasQueuedWork() ? absl::Milliseconds(5) : absl::Milliseconds(50));
    const auto timeout = std::chrono::milliseconds(
        absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))));
    try {
      zmq::poll(items.data(), items.size(), timeout);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      continue;
    }
    absl::Time now = absl::Now();
    // Posted work and due timers (the wake fd is drained either way).
    loop_.RunReady();
    if (items[1].revents & ZMQ_POLLIN) seeder_->OnReadable(now);
    if (items[2].revents & ZMQ_POLLIN) seeder_->OnReadsDone();
    for (size_t i = 0; i < owners.size(); ++i) {
      if (items[i + kFixedItems].revents & ZMQ_POLLIN) {
        // A posted task above may have erased the download.
        auto it = downloads_.find(owners[i].first);
        if (it != downloads_.end()) {
          Download& d = *it->second;
          static_cast<ZmqPeerLinks&>(d.links()).Receive(owners[i].second, d, now);
        }
      }
    }
    seeder_->Tick(now);
  }
}

void PeerNode::RequestPeers(uint64_t download_id, const Sha256Digest& root) {
  {
    MutexLock lock(mu_);
    lookups_.push_back({download_id, root});
  }
  tracker_work_.SignalAll();
}

void PeerNode::OnServable(Download& download) {
  const Manifest& m = *download.manifest();
  // The book keeps its own bitmap of the verified chunks, kept up to date by
  // OnChunkStored: it outlives the download without pointing into it.
  std::vector<bool> verified(m.chunk_count());
  for (uint32_t c = 0; c < m.chunk_count(); ++c) verified[c] = download.HasChunk(c);
  book_.AddPartial(download.shared_manifest(),
                   std::make_shared<SharedFd>(::dup(download.data_fd())), download.data_path(),
                   verified);
  BookChanged();
}

void PeerNode::OnChunkStored(Download& download, uint32_t chunk) {
  book_.MarkChunk(download.root(), chunk);
  seeder_->BroadcastHave(download.root(), chunk);
  MutexLock lock(mu_);
  downloaded_bytes_ += download.manifest()->ChunkLength(chunk);
}

void PeerNode::OnFinished(Download& download) {
  const Sha256Digest& root = download.root();
  if (download.state() == v1::DOWNLOAD_STATE_COMPLETED) {
    const Manifest& m = *download.manifest();
    std::string line =
        absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()), " ",
                     m.name, " size=", m.size_bytes, " sha256=", ToHex(m.file_sha256),
                     " root=", ToHex(m.root), " seconds=", download.counters().seconds,
                     " chunks_fetched=", download.counters().chunks_fetched,
                     " chunks_resumed=", download.counters().chunks_resumed, "\n");
    download_log_->Append(std::move(line));  // written off the loop
    PT_LOG_INFO("download complete: {} ({} bytes)", m.name, m.size_bytes);
    space_retry_.Forget(root);
    // Re-seeded from user/downloads (opened when a chunk is asked for).
    book_.EndDownload(root, options_.config.reseed ? download.final_path() : std::string());
  } else {
    if (download.state() == v1::DOWNLOAD_STATE_FAILED &&
        SpaceRetry::IsForSpace(download.failure())) {
      // Goes on by itself once space is back, from what is verified.
      const absl::Duration wait = space_retry_.OnFailedForSpace(root, absl::Now());
      PT_LOG_INFO("download {} failed for disk space; trying again in {}", download.id(),
                  absl::FormatDuration(wait));
      loop_.RunAfter(wait, [this] { RetryForSpace(); });
    } else {
      space_retry_.Forget(root);
    }
    book_.EndDownload(root, std::string());
  }
  BookChanged();
  {
    MutexLock lock(mu_);
    records_.EndActive(root, download.id());
  }
  download_changed_.SignalAll();
  // Everything the download holds (sessions, sockets, verifier threads, the
  // file, scheduler, manifest) goes once the call that finished it has
  // returned; its final snapshot stays in the capped history.
  uint64_t id = download.id();
  Post([this, id] { downloads_.erase(id); });
}

void PeerNode::RetryForSpace() {
  for (const Sha256Digest& root : space_retry_.TakeDue(absl::Now())) {
    v1::StartDownloadRequest request;
    request.set_root_hash(DigestToBytes(root));
    absl::StatusOr<uint64_t> id = StartDownload(request);
    if (id.ok()) {
      PT_LOG_INFO("retrying the download of {} as download {}", ToHex(root), *id);
    } else {
      PT_LOG_INFO("not retrying the download of {}: {}", ToHex(root), id.status().ToString());
      space_retry_.Forget(root);
    }
  }
}

void PeerNode::OnProgress(const v1::DownloadProgress& progress, const DownloadCounters& counters) {
  {
    MutexLock lock(mu_);
    records_.Update(progress, counters);
  }
  download_changed_.SignalAll();
}

// ------------------------------------------------------------- tracker thread

void PeerNode::MarkTrackerResult(const absl::Status& status) {
  MutexLock lock(mu_);
  tracker_reachable_ = status.ok() || !absl::IsUnavailable(status);
}

bool PeerNode::Announce(TrackerClient& tracker) {
  std::vector<v1::FileAvailability> files;
  AnnounceIdentity who;
  who.peer_id = peer_id_;
  who.peer_key = peer_key_;
  // The tracker lists this port at the address the announce comes from.
  const AnnouncedChunkAddress announced = ForAnnounce(options_.config.chunk_public_endpoint.empty()
                                                          ? chunk_endpoint_
                                                          : options_.config.chunk_public_endpoint);
  who.chunk_port = announced.chunk_port;
  who.chunk_endpoint = announced.claimed_endpoint;
  std::shared_ptr<const std::vector<HeldFile>> held;
  {
    MutexLock lock(mu_);
    announce_dirty_ = false;
    chunks_dirty_ = false;
    who.username = settings_.username;
    held = held_;
  }
  for (const HeldFile& row : *held) {
    if (!row.seeding) continue;
    const Manifest& m = *row.manifest;
    v1::FileAvailability f;
    f.set_name(m.name);
    f.set_size_bytes(m.size_bytes);
    f.set_chunk_size_bytes(m.chunk_size_bytes);
    f.set_root_hash(DigestToBytes(m.root));
    f.set_chunks_have(row.chunks_have);
    files.push_back(std::move(f));
  }
  absl::Status status = absl::OkStatus();
  for (const v1::AnnounceRequest& request : AnnounceRequests(who, files)) {
    absl::StatusOr<v1::AnnounceResponse> response = tracker.Announce(request);
    if (!response.ok()) {
      status = response.status();
      if (absl::IsAlreadyExists(status)) {
        // Username taken: pick a variant for the retry.
        MutexLock lock(mu_);
        settings_.username = absl::StrCat(who.username.substr(0, 24), "-", RandomU64() % 100000);
      }
      break;
    }
  }
  MarkTrackerResult(status);
  if (!status.ok()) {
    PT_LOG_WARN("announce failed: {}", status.ToString());
    return false;
  }
  MutexLock lock(mu_);
  joined_ = true;
  return true;
}

void PeerNode::TrackerMain() {
  Announcer announcer({.interval = absl::Seconds(options_.config.announce_interval_s),
                       .chunk_interval = kChunkAnnounceInterval});
  while (!stopping_) {
    std::deque<Lookup> lookups;
    std::vector<std::shared_ptr<TrackerClient>> old_trackers;
    std::shared_ptr<TrackerClient> tracker;
    bool announce = false;
    {
      MutexLock lock(mu_);
      auto inputs = [&] {
        mu_.AssertHeld();
        return AnnounceInputs{.scanned = scanned_once_,
                              .files_changed = announce_dirty_,
                              .chunks_changed = chunks_dirty_};
      };
      auto has_work = [&] {
        mu_.AssertHeld();
        return stopping_.load() || !lookups_.empty() || !old_trackers_.empty() ||
               announcer.Due(inputs(), absl::Now());
      };
      // Changes signal tracker_work_; the deadline is re-read at least every second
      // (new chunks do not signal).
      while (!has_work()) {
        const absl::Time now = absl::Now();
        tracker_work_.WaitUntil(
            mu_, std::min(announcer.NextCheck(inputs(), now), now + absl::Seconds(1)), has_work);
      }
      if (stopping_) break;
      lookups.swap(lookups_);
      old_trackers.swap(old_trackers_);
      tracker = tracker_;
      announce = announcer.Due(inputs(), absl::Now());
    }
    for (const Lookup& lookup : lookups) {
      v1::GetFilePeersRequest request;
      request.set_root_hash(DigestToBytes(lookup.root));
      request.set_max_peers(50);
      request.set_exclude_peer_id(peer_id_);
      absl::StatusOr<v1::GetFilePeersResponse> response = tracker->GetFilePeers(request);
      MarkTrackerResult(response.status());
      uint64_t id = lookup.download_id;
      Post([this, id, response = std::move(response)] {
        auto it = downloads_.find(id);
        if (it == downloads_.end()) return;
        if (response.ok()) {
          it->second->OnPeers(*response, absl::Now());
        } else {
          it->second->OnPeersFailed(response.status(), absl::Now());
        }
      });
    }
    if (announce) {
      const absl::Time sent = absl::Now();
      const bool ok = Announce(*tracker);
      // A failure is retried when the announcer says (not at once), unless
      // the set changed or the tracker was switched meanwhile.
      announcer.OnAnnounced(ok, sent);
      MutexLock lock(mu_);
      announced_once_ = true;
      node_state_.SignalAll();
    }
    // After announcing to the new tracker, so an unreachable old one (whose
    // Leave may take all its retries) does not delay it.
    for (const std::shared_ptr<TrackerClient>& old : old_trackers) {
      // Best effort: the old tracker would expire us anyway.
      absl::Status s = old->Leave(peer_id_, peer_key_);
      if (!s.ok()) PT_LOG_INFO("leaving the previous tracker: {}", s.ToString());
    }
  }
}

// ------------------------------------------------------------- scanner thread

void PeerNode::ApplyScan(const SharedFolder::Changes& changes) {
  for (const std::string& path : changes.removed) book_.RemoveSharedPath(path);
  for (const SharedFileEntry& entry : changes.added) {
    if (book_.AddSharedPath(entry.path, std::make_shared<const Manifest>(entry.manifest))) {
      PT_LOG_INFO("sharing {} ({} bytes, root {})", entry.name, entry.size_bytes,
                  ToHex(entry.manifest.root));
    }
  }
  BookChanged();
}

void PeerNode::ScannerMain() {
  SharedFolder folder(shared_dir_, *manifest_cache_, options_.config.chunk_size_kib * 1024,
                      options_.stable_age);
  absl::Time started = absl::Now();
  while (!stopping_) {
    SharedFolder::Changes changes = folder.Rescan(absl::Now());
    // The first scan counts as done once nothing is still being written (or
    // after 5 s), and only when the loop has booked it.
    const bool settled = changes.unstable == 0 || absl::Now() - started > absl::Seconds(5);
    bool first;
    {
      MutexLock lock(mu_);
      first = !scanned_once_;
    }
    if (!changes.added.empty() || !changes.removed.empty() || (first && settled)) {
      Post([this, changes = std::move(changes), settled] {
        ApplyScan(changes);
        if (settled) {
          MutexLock lock(mu_);
          scanned_once_ = true;
        }
        node_state_.SignalAll();
        tracker_work_.SignalAll();  // the first announce waits for the first scan
      });
    }
    MutexLock lock(mu_);
    node_state_.WaitUntil(mu_, absl::Now() + options_.scan_interval,
                          [this] { return stopping_.load(); });
  }
}

// ---------------------------------------------------------------- PeerControl

v1::PeerStatus PeerNode::GetStatus() {
  v1::PeerStatus status;
  MutexLock lock(mu_);
  status.set_peer_id(peer_id_);
  // Empty until configured, even though the tracker knows a placeholder.
  status.set_username(settings_.configured_username.empty() ? std::string() : settings_.username);
  // Empty until configured, even though the default tracker is used.
  if (settings_.tracker_configured) {
    status.set_tracker_address(FormatHostPort(settings_.tracker_host, settings_.tracker_port));
  }
  status.set_tracker_reachable(tracker_reachable_);
  status.set_chunk_endpoint(chunk_endpoint_);
  uint32_t shared = 0;
  for (const HeldFile& row : *held_) shared += row.complete ? 1 : 0;
  status.set_shared_files(shared);
  const DownloadRecords::Activity activity = records_.CurrentActivity();
  status.set_active_downloads(activity.active);
  status.set_download_rate_bytes_per_s(activity.rate_bytes_per_s);
  status.set_downloaded_bytes(downloaded_bytes_);
  status.set_uploaded_bytes(seeder_counters_.bytes_served);
  status.set_chunks_served(seeder_counters_.chunks_served);
  status.set_manifests_served(seeder_counters_.manifests_served);
  status.set_rejects_sent(seeder_counters_.rejects_sent);
  status.set_malformed_frames(seeder_counters_.malformed_frames);
  status.set_requests_throttled(seeder_counters_.requests_throttled);
  status.set_requesters_dropped(seeder_counters_.requesters_dropped);
  status.set_serving_held_bytes(seeder_counters_.budget_held_bytes);
  status.set_serving_peak_bytes(seeder_counters_.budget_peak_bytes);
  status.set_serving_budget_bytes(static_cast<uint64_t>(options_.config.serve_budget_mib) << 20);
  status.set_home_dir(options_.home);
  return status;
}

absl::StatusOr<v1::ListPeersResponse> PeerNode::ListPeers(const v1::ListPeersRequest& request) {
  absl::StatusOr<v1::ListPeersResponse> response = Tracker()->ListPeers(request);
  MarkTrackerResult(response.status());
  return response;
}

v1::ListSharedFilesResponse PeerNode::ListSharedFiles() {
  v1::ListSharedFilesResponse response;
  std::shared_ptr<const std::vector<HeldFile>> held;
  {
    MutexLock lock(mu_);
    held = held_;
  }
  for (const HeldFile& row : *held) {
    if (!row.complete) continue;  // still downloading
    *response.add_files() = ToSharedFile(*row.manifest, row.seeding);
  }
  return response;
}

absl::StatusOr<v1::SearchFilesResponse> PeerNode::SearchFiles(
    const v1::SearchFilesRequest& request) {
  absl::StatusOr<v1::SearchFilesResponse> response = Tracker()->SearchFiles(request);
  MarkTrackerResult(response.status());
  return response;
}

absl::StatusOr<uint64_t> PeerNode::StartDownload(const v1::StartDownloadRequest& request) {
  Sha256Digest root{};
  if (!request.root_hash().empty()) {
    if (!DigestFromBytes(request.root_hash(), root)) {
      return absl::InvalidArgumentError("root_hash must be 32 bytes");
    }
  } else {
    if (absl::Status s = ValidateFileName(request.name()); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("name: ", s.message()));
    }
    std::map<Sha256Digest, int> matches;
    v1::SearchFilesRequest search;
    search.set_query(request.name());
    std::shared_ptr<TrackerClient> tracker = Tracker();
    for (int page = 0; page < 20; ++page) {
      absl::StatusOr<v1::SearchFilesResponse> found = tracker->SearchFiles(search);
      MarkTrackerResult(found.status());
      if (!found.ok()) return found.status();
      for (const v1::FileSummary& f : found->files()) {
        Sha256Digest candidate{};
        if (f.name() == request.name() && DigestFromBytes(f.root_hash(), candidate)) {
          ++matches[candidate];
        }
      }
      if (found->next_page_token().empty()) break;
      search.set_page_token(found->next_page_token());
    }
    if (matches.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no file named '", request.name(), "' on the network"));
    }
    if (matches.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat("name '", request.name(), "' is ambiguous (",
                                                     matches.size(), " files); give root_hash"));
    }
    root = matches.begin()->first;
  }
  uint64_t id;
  {
    MutexLock lock(mu_);
    if (std::optional<uint64_t> active = records_.ActiveFor(root)) return *active;
    if (const HeldFile* held = FindHeld(*held_, root); held != nullptr && held->complete) {
      return absl::AlreadyExistsError(
          absl::StrCat("this node already has '", held->manifest->name, "'"));
    }
    id = records_.Begin(root, request.name());
  }
  DownloadOptions options;
  options.id = id;
  options.root = root;
  options.overwrite = request.overwrite();
  options.self_peer_id = peer_id_;
  options.self_endpoint = chunk_endpoint_;
  options.scheduler = options_.scheduler;
  options.tie_break_seed = peer_id_ ^ id;
  DiskStorageOptions disk;
  disk.root = root;
  disk.state_dir = state_dir_;
  disk.downloads_dir = downloads_dir_;
  // Half the cores, 1 to 4 (1 on the 2-core bench machine, where the loop,
  // the whole-file hasher and the seeders share the other core).
  disk.verify_workers = std::clamp(static_cast<int>(std::thread::hardware_concurrency()) / 2, 1, 4);
  Post([this, options, disk] {
    auto storage = [this, disk](DownloadStorage::Sink& sink) {
      return std::make_unique<DiskStorage>(
          disk, sink, [this](std::function<void()> task) { Post(std::move(task)); }, *disk_);
    };
    auto download = std::make_unique<Download>(options, static_cast<DownloadHost&>(*this), clock_,
                                               std::make_unique<ZmqPeerLinks>(context_), storage);
    Download* d = download.get();
    downloads_[options.id] = std::move(download);
    d->Start(absl::Now());
  });
  download_changed_.SignalAll();
  return id;
}

absl::StatusOr<DownloadSnapshot> PeerNode::AwaitDownloadChange(uint64_t download_id,
                                                               uint64_t after_version,
                                                               absl::Time deadline) {
  MutexLock lock(mu_);
  if (records_.Find(download_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("no download with id ", download_id));
  }
  download_changed_.WaitUntil(mu_, deadline, [&] {
    mu_.AssertHeld();
    const DownloadSnapshot* found = records_.Find(download_id);
    return found == nullptr || found->version > after_version || stopping_.load();
  });
  const DownloadSnapshot* snapshot = records_.Find(download_id);
  if (snapshot == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("download ", download_id, " left the history of finished downloads"));
  }
  return *snapshot;
}

v1::ListDownloadsResponse PeerNode::ListDownloads() {
  v1::ListDownloadsResponse response;
  MutexLock lock(mu_);
  for (const auto& [id, snapshot] : records_.snapshots()) {
    *response.add_downloads() = snapshot.progress;
  }
  return response;
}

absl::Status PeerNode::CancelDownload(uint64_t download_id) {
  Sha256Digest root{};
  {
    MutexLock lock(mu_);
    const DownloadSnapshot* snapshot = records_.Find(download_id);
    if (snapshot == nullptr) {
      return absl::NotFoundError(absl::StrCat("no download with id ", download_id));
    }
    DigestFromBytes(snapshot->progress.root_hash(), root);
  }
  Post([this, download_id, root] {
    auto it = downloads_.find(download_id);
    if (it != downloads_.end()) {
      it->second->Cancel(absl::Now());
    } else {
      space_retry_.Forget(root);  // a failed one waiting for space: not any more
    }
  });
  return absl::OkStatus();
}

absl::StatusOr<v1::SharedFile> PeerNode::ShareFile(const std::string& path) {
  struct stat st {};
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError("path must be absolute");
  }
  if (::stat(path.c_str(), &st) != 0) return absl::NotFoundError(path + " does not exist");
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(path + " is not a regular file");
  std::string name = std::filesystem::path(path).filename().string();
  if (absl::Status s = ValidateFileName(name); !s.ok()) return s;
  std::string dest = shared_dir_ + "/" + name;
  if (::access(dest.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("'", name, "' is already in the shared folder"));
  }
  std::string temp = absl::StrCat(shared_dir_, "/.", name, ".", RandomU64(), ".tmp");
  std::error_code ec;
  std::filesystem::copy_file(path, temp, ec);
  if (ec) return absl::InternalError(absl::StrCat("copy ", path, ": ", ec.message()));
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) != 0) {
    ::unlink(temp.c_str());
    return absl::AlreadyExistsError(absl::StrCat("'", name, "' is already in the shared folder"));
  }
  if (::stat(dest.c_str(), &st) != 0) return absl::InternalError("shared copy vanished");
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  absl::StatusOr<Manifest> manifest = manifest_cache_->GetOrBuild(
      {dest, static_cast<uint64_t>(st.st_size), mtime_ns, options_.config.chunk_size_kib * 1024},
      name);
  if (!manifest.ok()) return manifest.status();
  return ToSharedFile(*manifest, true);
}

absl::Status PeerNode::SetSeeding(const std::string& root_hash, bool seeding) {
  Sha256Digest root{};
  if (!DigestFromBytes(root_hash, root)) {
    return absl::InvalidArgumentError("root_hash must be 32 bytes");
  }
  // The book (on the loop) switches it; the switches survive restarts, and
  // settings_mu_ keeps concurrent saves in order.
  MutexLock settings(settings_mu_);
  absl::StatusOr<absl::StatusOr<std::set<Sha256Digest>>> switched =
      AskLoop<absl::StatusOr<std::set<Sha256Digest>>>(
          [this, root, seeding]() -> absl::StatusOr<std::set<Sha256Digest>> {
            if (absl::Status s = book_.SetSeeding(root, seeding); !s.ok()) return s;
            BookChanged();
            return book_.seeding_off();
          },
          kLoopAnswerTimeout);
  if (!switched.ok()) return switched.status();
  if (!switched->ok()) return switched->status();
  if (absl::Status saved = SaveSeedingOff(**switched); !saved.ok()) {
    PT_LOG_WARN("seeding switch not saved: {}", saved.ToString());
    return saved;
  }
  return absl::OkStatus();
}

absl::Status PeerNode::SaveConfig(const std::vector<std::pair<std::string, std::string>>& updates) {
  if (options_.config_path.empty() || updates.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadSmallFile(options_.config_path, 1 << 20);
  if (!text.ok() && !absl::IsNotFound(text.status())) return text.status();
  absl::StatusOr<std::string> updated =
      UpdatePeerConfigText(text.ok() ? *text : std::string(), updates);
  if (!updated.ok()) return updated.status();
  return WriteFileAtomically(options_.config_path, *updated);
}

absl::Status PeerNode::ChangeUsername(const std::string& new_username) {
  if (absl::Status s = ValidateUsername(new_username); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("new_username: ", s.message()));
  }
  MutexLock settings(settings_mu_);
  std::shared_ptr<TrackerClient> tracker = Tracker();
  absl::Status renamed = tracker->Rename(peer_id_, peer_key_, new_username);
  MarkTrackerResult(renamed);
  if (!renamed.ok()) return renamed;
  {
    MutexLock lock(mu_);
    settings_.username = new_username;
    settings_.configured_username = new_username;
  }
  return SaveConfig({{"username", new_username}});
}

absl::Status PeerNode::UpdateSettings(const v1::UpdateSettingsRequest& request) {
  absl::StatusOr<SettingsUpdate> update = ParseSettingsUpdate(request);
  if (!update.ok()) return update.status();
  const std::string& tracker_host = update->tracker_host;
  MutexLock settings(settings_mu_);
  NodeSettings current, next;
  {
    MutexLock lock(mu_);
    current = next = settings_;
  }
  if (!tracker_host.empty()) next.tracker_host = tracker_host;
  if (request.tracker_port() != 0) {
    next.tracker_port = static_cast<uint16_t>(request.tracker_port());
  }
  if (!request.tracker_host().empty() || request.tracker_port() != 0) {
    next.tracker_configured = true;
  }
  bool tracker_changed =
      next.tracker_host != current.tracker_host || next.tracker_port != current.tracker_port;
  bool username_changed = !request.username().empty() && request.username() != current.username;
  if (!request.username().empty()) {
    next.username = request.username();
    next.configured_username = request.username();
  }

  // A new tracker address: a new client at once (INVALID_ARGUMENT for an
  // address it cannot resolve, nothing changed then); the next announce
  // registers us there, with the new username if one came too.
  std::shared_ptr<TrackerClient> new_tracker;
  if (tracker_changed && options_.tracker_factory) {
    absl::StatusOr<std::unique_ptr<TrackerClient>> made =
        options_.tracker_factory(next.tracker_host, next.tracker_port);
    if (!made.ok()) {
      return absl::Status(made.status().code(),
                          absl::StrCat("tracker_host/tracker_port: ", made.status().message()));
    }
    new_tracker = std::shared_ptr<TrackerClient>(*std::move(made));
  }
  if (username_changed && new_tracker == nullptr) {
    // Same tracker: rename there now, so a taken name is refused at once.
    // NOT_FOUND (not registered yet) or UNAVAILABLE: the next announce
    // carries the new name.
    absl::Status renamed = Tracker()->Rename(peer_id_, peer_key_, request.username());
    MarkTrackerResult(renamed);
    if (!renamed.ok() && !absl::IsNotFound(renamed) && !absl::IsUnavailable(renamed)) {
      return renamed;
    }
  }
  {
    MutexLock lock(mu_);
    // The username may have gained a variant meanwhile (taken on the tracker).
    if (request.username().empty()) next.username = settings_.username;
    settings_ = next;
    if (new_tracker != nullptr) {
      old_trackers_.push_back(std::move(tracker_));
      tracker_ = std::move(new_tracker);
      tracker_reachable_ = false;
      PT_LOG_INFO("switched to tracker {}:{}", next.tracker_host, next.tracker_port);
    }
    if (username_changed || tracker_changed) announce_dirty_ = true;
  }
  tracker_work_.SignalAll();
  // Only what this request set goes into the file.
  std::vector<std::pair<std::string, std::string>> updates;
  if (!request.username().empty()) updates.emplace_back("username", request.username());
  if (!request.tracker_host().empty() || request.tracker_port() != 0) {
    updates.emplace_back("tracker_host", next.tracker_host);
    updates.emplace_back("tracker_port", absl::StrCat(next.tracker_port));
  }
  return SaveConfig(updates);
}

absl::Status PeerNode::Disconnect() {
  stop_requested_ = true;
  node_state_.SignalAll();
  download_changed_.SignalAll();
  return absl::OkStatus();
}

absl::StatusOr<DownloadCounters> PeerNode::GetDownloadCounters(uint64_t download_id) {
  MutexLock lock(mu_);
  const DownloadCounters* counters = records_.Counters(download_id);
  if (counters == nullptr) return absl::NotFoundError("no such download");
  return *counters;
}

absl::StatusOr<PeerNode::LoopSizes> PeerNode::GetLoopSizes(absl::Duration timeout) {
  return AskLoop<LoopSizes>(
      [this] {
        return LoopSizes{downloads_.size(), book_.partial_files()};
      },
      timeout);
}

SeederCounters PeerNode::GetSeederCounters() {
  MutexLock lock(mu_);
  return seeder_counters_;
}

}  // namespace pytorrent::peer
