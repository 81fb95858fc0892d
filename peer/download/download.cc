#include "peer/download/download.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "peer/content/chunk_digest.h"

namespace pytorrent::peer {

Download::Download(DownloadOptions options, DownloadHost& host)
    : options_(std::move(options)), host_(host), root_bytes_(DigestToBytes(options_.root)) {}

Download::~Download() = default;

bool Download::finished() const {
  return state_ == v1::DOWNLOAD_STATE_COMPLETED || state_ == v1::DOWNLOAD_STATE_FAILED ||
         state_ == v1::DOWNLOAD_STATE_CANCELLED;
}

bool Download::HasChunk(uint32_t chunk) const {
  if (state_ == v1::DOWNLOAD_STATE_COMPLETED) return true;
  return scheduler_ != nullptr && scheduler_->Has(ChunkIndex{chunk});
}

std::string Download::PartialPath() const {
  return options_.state_dir + "/" + ToHex(options_.root) + ".part";
}

std::string Download::ResumePath() const {
  return options_.state_dir + "/" + ToHex(options_.root) + ".resume";
}

void Download::Start(absl::Time now) {
  started_at_ = now;
  rate_mark_time_ = now;
  peers_requested_ = true;
  next_peer_refresh_ = now + options_.peer_refresh;
  host_.RequestPeers(options_.id, options_.root);
  PublishProgress(now, true);
}

void Download::OnPeers(const v1::GetFilePeersResponse& response, absl::Time now) {
  peers_requested_ = false;
  if (finished()) return;
  for (const v1::FilePeer& peer : response.peers()) Connect(peer, now);
}

void Download::OnPeersFailed(const absl::Status& status, absl::Time now) {
  peers_requested_ = false;
  if (sessions_.empty() && !finished()) {
    error_ = absl::StrCat("looking for peers: ", status.message());
    PublishProgress(now, true);
  }
}

void Download::Connect(const v1::FilePeer& peer, absl::Time now) {
  if (peer.chunk_endpoint().empty() || peer.chunk_endpoint() == options_.self_endpoint ||
      (peer.peer_id() != 0 && peer.peer_id() == options_.self_peer_id)) {
    return;
  }
  for (const auto& [handle, session] : sessions_) {
    if (session.endpoint == peer.chunk_endpoint()) return;
  }
  if (auto it = gone_.find(peer.chunk_endpoint()); it != gone_.end()) {
    if (it->second.banned || now < it->second.retry_after) return;
  }
  absl::StatusOr<std::unique_ptr<ZmqLeecher>> link =
      ZmqLeecher::Connect(host_.context(), peer.chunk_endpoint());
  if (!link.ok()) return;
  Session session;
  session.handle = PeerHandle{next_handle_++};
  session.peer_id = peer.peer_id();
  session.username = peer.username();
  session.endpoint = peer.chunk_endpoint();
  session.link = *std::move(link);
  session.link->SendHello(options_.self_peer_id);
  session.link->RequestManifest(root_bytes_);
  if (scheduler_ != nullptr) scheduler_->AddPeer(session.handle);
  uint32_t key = static_cast<uint32_t>(session.handle);
  sessions_.emplace(key, std::move(session));
  if (!error_.empty() && state_ == v1::DOWNLOAD_STATE_STARTING) error_.clear();
}

// Session handles start at 1; 0 is the verifier pool's wake socket.
constexpr PeerHandle kVerifierHandle{0};

void Download::CollectSockets(std::vector<std::pair<zmq::socket_t*, PeerHandle>>& out) {
  if (verifier_ != nullptr) out.emplace_back(&verifier_->wake_socket(), kVerifierHandle);
  for (auto& [key, session] : sessions_) out.emplace_back(&session.link->socket(), session.handle);
}

void Download::OnReadable(PeerHandle handle, absl::Time now) {
  if (handle == kVerifierHandle) {
    DrainVerifier(now);
    return;
  }
  // Bounded batch so one fast peer cannot starve the loop.
  for (int i = 0; i < 64 && !finished(); ++i) {
    auto it = sessions_.find(static_cast<uint32_t>(handle));
    if (it == sessions_.end()) return;
    std::optional<ZmqLeecher::Incoming> in = it->second.link->Receive();
    if (!in.has_value()) break;
    Handle(it->second, *in, now);
  }
  auto it = sessions_.find(static_cast<uint32_t>(handle));
  if (it != sessions_.end()) {
    counters_.malformed_frames = std::max(counters_.malformed_frames, it->second.link->malformed());
    Pump(it->second, now);
  }
}

void Download::Handle(Session& session, ZmqLeecher::Incoming& in, absl::Time now) {
  const v1::PeerMessage& m = in.header;
  switch (m.body_case()) {
    case v1::PeerMessage::kHello:
      if (session.peer_id == 0) session.peer_id = m.hello().peer_id();
      return;
    case v1::PeerMessage::kManifest:
      OnManifest(session, m.manifest(), now);
      return;
    case v1::PeerMessage::kBitfield: {
      const v1::Bitfield& b = m.bitfield();
      if (b.root_hash() != root_bytes_) return;
      session.pending_bits = b.bits();
      session.pending_all = false;
      if (b.bits().size() == (static_cast<size_t>(b.chunk_count()) + 7) / 8) {
        bool all = true;
        for (uint32_t c = 0; c < b.chunk_count() && all; ++c) {
          all = (static_cast<uint8_t>(b.bits()[c / 8]) >> (7 - c % 8)) & 1;
        }
        session.pending_all = all;
      }
      session.have_bitfield = true;
      ApplyHoldings(session);
      Pump(session, now);
      return;
    }
    case v1::PeerMessage::kHave:
      if (m.have().root_hash() != root_bytes_) return;
      if (scheduler_ != nullptr) {
        scheduler_->SetPeerHas(session.handle, ChunkIndex{m.have().chunk_index()});
        Pump(session, now);
      } else {
        session.pending_haves.push_back(m.have().chunk_index());
      }
      return;
    case v1::PeerMessage::kChunk:
      OnChunk(session, in, now);
      return;
    case v1::PeerMessage::kReject: {
      const v1::Reject& r = m.reject();
      if (scheduler_ != nullptr && r.root_hash() == root_bytes_ &&
          (r.reason() == v1::REJECT_REASON_UNKNOWN_CHUNK ||
           r.reason() == v1::REJECT_REASON_NO_CREDIT || r.reason() == v1::REJECT_REASON_INTERNAL)) {
        scheduler_->OnRejected(session.handle, ChunkIndex{r.chunk_index()},
                               r.reason() == v1::REJECT_REASON_UNKNOWN_CHUNK);
        return;
      }
      if (r.reason() == v1::REJECT_REASON_UNKNOWN_FILE || r.reason() == v1::REJECT_REASON_BANNED ||
          r.reason() == v1::REJECT_REASON_VERSION) {
        DropSession(session.handle, false, now);
      }
      return;
    }
    default:
      ++counters_.malformed_frames;
      return;
  }
}

void Download::OnManifest(Session& session, const v1::ManifestResponse& response, absl::Time now) {
  if (manifest_ != nullptr) return;
  absl::StatusOr<Manifest> manifest = ManifestFromProto(response, options_.root);
  if (!manifest.ok()) {
    // A peer lying about the manifest is as bad as one sending bad chunks.
    PT_LOG_WARN("peer {} sent a bad manifest: {}", session.endpoint, manifest.status().ToString());
    DropSession(session.handle, true, now);
    return;
  }
  manifest_ = std::make_shared<const Manifest>(*std::move(manifest));
  InitStorage(now);
}

void Download::InitStorage(absl::Time now) {
  std::string dest = options_.downloads_dir + "/" + manifest_->name;
  if (!options_.overwrite && ::access(dest.c_str(), F_OK) == 0) {
    Fail(absl::AlreadyExistsError(dest + " exists; download with overwrite to replace it"), now);
    return;
  }
  absl::StatusOr<std::unique_ptr<PartialFile>> file =
      PartialFile::Open(PartialPath(), manifest_->size_bytes);
  if (!file.ok()) {
    Fail(file.status(), now);
    return;
  }
  file_ = *std::move(file);
  uint32_t count = manifest_->chunk_count();
  resume_ = std::make_unique<ResumeState>(options_.root, count);
  if (file_->reused()) {
    absl::StatusOr<ResumeState> loaded = ResumeState::Load(ResumePath(), options_.root, count);
    if (loaded.ok()) {
      *resume_ = *std::move(loaded);
    } else if (!absl::IsNotFound(loaded.status())) {
      PT_LOG_WARN("ignoring resume state of {}: {}", manifest_->name, loaded.status().ToString());
    }
    // Recover chunks written after the last save: hash what is on disk.
    scratch_.resize(manifest_->chunk_size_bytes);
    ChunkDigester digester;
    for (uint32_t c = 0; c < count; ++c) {
      if (resume_->Test(c)) continue;
      uint32_t length = manifest_->ChunkLength(c);
      if (!file_->Read(manifest_->ChunkOffset(c), absl::MakeSpan(scratch_.data(), length)).ok()) {
        continue;
      }
      if (digester.DigestChunk(absl::MakeConstSpan(scratch_.data(), length)) ==
          manifest_->chunk_hashes[c]) {
        resume_->Set(c);
      }
    }
  } else {
    ::unlink(ResumePath().c_str());
  }
  scheduler_ = std::make_unique<ChunkScheduler>(count, options_.scheduler, options_.tie_break_seed);
  for (uint32_t c = 0; c < count; ++c) {
    if (resume_->Test(c)) scheduler_->MarkHave(ChunkIndex{c});
  }
  counters_.chunks_resumed = resume_->CountSet();
  if (counters_.chunks_resumed > 0) {
    PT_LOG_INFO("resuming {}: {} of {} chunks already verified", manifest_->name,
                counters_.chunks_resumed, count);
    resume_dirty_ = true;
  }
  state_ = v1::DOWNLOAD_STATE_DOWNLOADING;
  for (auto& [key, session] : sessions_) {
    scheduler_->AddPeer(session.handle);
    ApplyHoldings(session);
  }
  host_.OnServable(*this);
  std::vector<uint8_t>().swap(scratch_);
  file_hasher_ =
      std::make_unique<FileHasher>(file_->fd(), manifest_->size_bytes, manifest_->chunk_size_bytes);
  try {
    verifier_ =
        std::make_unique<ChunkVerifier>(host_.context(), file_->fd(), options_.verify_workers);
  } catch (const zmq::error_t& e) {
    Fail(absl::InternalError(absl::StrCat("starting the chunk verifier: ", e.what())), now);
    return;
  }
  // Once synced and hashed, written data is not needed in memory: drop it from
  // the page cache so the footprint stays flat from 256 MiB to many GiB.
  writer_ = std::make_unique<ResumeWriter>(
      file_->fd(), ResumePath(), [fd = file_->fd(), hashed = file_hasher_->progress()] {
        uint64_t bytes = hashed->load(std::memory_order_acquire);
        if (bytes > 0) ::posix_fadvise(fd, 0, static_cast<off_t>(bytes), POSIX_FADV_DONTNEED);
      });
  AdvanceFileHash();
  if (scheduler_->Complete()) {
    Finalize(now);
    return;
  }
  for (auto& [key, session] : sessions_) Pump(session, now);
  PublishProgress(now, true);
}

void Download::ApplyHoldings(Session& session) {
  if (scheduler_ == nullptr || !session.have_bitfield) return;
  uint32_t count = scheduler_->chunk_count();
  if (session.pending_all) {
    scheduler_->SetPeerHasAll(session.handle);
  } else if (session.pending_bits.size() == (static_cast<size_t>(count) + 7) / 8) {
    for (uint32_t c = 0; c < count; ++c) {
      if ((static_cast<uint8_t>(session.pending_bits[c / 8]) >> (7 - c % 8)) & 1) {
        scheduler_->SetPeerHas(session.handle, ChunkIndex{c});
      }
    }
  }
  for (uint32_t c : session.pending_haves) scheduler_->SetPeerHas(session.handle, ChunkIndex{c});
  session.pending_haves.clear();
  session.pending_bits.clear();
}

void Download::OnChunk(Session& session, ZmqLeecher::Incoming& in, absl::Time now) {
  const v1::ChunkData& header = in.header.chunk();
  if (scheduler_ == nullptr || header.root_hash() != root_bytes_ ||
      header.chunk_index() >= manifest_->chunk_count()) {
    ++counters_.malformed_frames;
    return;
  }
  uint32_t c = header.chunk_index();
  ChunkIndex chunk{c};
  if (scheduler_->Has(chunk)) {
    ++counters_.chunks_duplicate;
    scheduler_->OnChunkVerified(session.handle, chunk, now);
    return;
  }
  uint32_t length = manifest_->ChunkLength(c);
  if (in.data.size() != length || header.size_bytes() != length) {
    OnCorrupt(session.handle, c, now);
    return;
  }
  // The SHA-256 check and the write run on the pool; the loop goes on
  // receiving. The chunk stays counted in the sender's window until then.
  verifier_->Submit({.tag = static_cast<uint32_t>(session.handle),
                     .chunk = c,
                     .offset = manifest_->ChunkOffset(c),
                     .expected = manifest_->chunk_hashes[c],
                     .data = std::move(in.data)});
}

void Download::OnCorrupt(PeerHandle handle, uint32_t chunk, absl::Time now) {
  ++counters_.chunks_corrupt;
  auto it = sessions_.find(static_cast<uint32_t>(handle));
  if (it != sessions_.end()) ++it->second.strikes;
  if (scheduler_->OnChunkCorrupt(handle, ChunkIndex{chunk}) && it != sessions_.end()) {
    PT_LOG_WARN("banning peer {} for {} after {} bad chunks", it->second.endpoint, manifest_->name,
                it->second.strikes);
    DropSession(handle, true, now);
  }
}

void Download::DrainVerifier(absl::Time now) {
  if (verifier_ == nullptr) return;
  std::vector<ChunkVerifier::Result> results = verifier_->TakeResults();
  for (ChunkVerifier::Result& r : results) {
    if (finished()) return;
    OnVerified(r, now);
  }
  if (finished() || results.empty()) return;
  for (auto& [key, session] : sessions_) Pump(session, now);
  PublishProgress(now, false);
}

void Download::OnVerified(ChunkVerifier::Result& r, absl::Time now) {
  PeerHandle handle{r.tag};
  uint32_t c = r.chunk;
  ChunkIndex chunk{c};
  if (absl::IsDataLoss(r.status)) {
    OnCorrupt(handle, c, now);
    return;
  }
  if (!r.status.ok()) {
    Fail(r.status, now);
    return;
  }
  if (scheduler_->Has(chunk)) {  // an endgame twin got here first
    ++counters_.chunks_duplicate;
    scheduler_->OnChunkVerified(handle, chunk, now);
    return;
  }
  uint32_t length = manifest_->ChunkLength(c);
  resume_->Set(c);
  resume_dirty_ = true;
  ++counters_.chunks_fetched;
  counters_.bytes_received += length;
  if (auto it = sessions_.find(r.tag); it != sessions_.end()) it->second.bytes_received += length;
  ChunkScheduler::VerifiedResult result = scheduler_->OnChunkVerified(handle, chunk, now);
  for (PeerHandle other : result.cancel) {
    auto it = sessions_.find(static_cast<uint32_t>(other));
    if (it != sessions_.end()) it->second.link->Cancel(root_bytes_, c);
  }
  // Keep the bytes for the whole-file hash if they are within the reorder
  // window just ahead of its position; otherwise it reads them back later.
  uint64_t window_chunks = std::max<uint64_t>(
      1, options_.hash_reorder_window_bytes / std::max<uint32_t>(1, manifest_->chunk_size_bytes));
  if (c >= hash_cursor_ && c - hash_cursor_ < window_chunks) {
    reorder_[c] = std::make_shared<zmq::message_t>(std::move(r.data));
  }
  AdvanceFileHash();
  host_.OnChunkStored(*this, c);
  if (scheduler_->Complete()) Finalize(now);
}

void Download::AdvanceFileHash() {
  uint32_t count = manifest_->chunk_count();
  uint64_t hashed = file_hasher_->progress()->load(std::memory_order_acquire);
  while (hash_cursor_ < count && resume_->Test(hash_cursor_)) {
    if (auto it = reorder_.find(hash_cursor_); it != reorder_.end()) {
      uint64_t offset = manifest_->ChunkOffset(hash_cursor_);
      // Bound what the hasher holds but has not hashed yet; past that it
      // reads these bytes back from disk instead.
      if (fed_end_ <= hashed + options_.hash_reorder_window_bytes) {
        const zmq::message_t& m = *it->second;
        file_hasher_->Feed(offset,
                           absl::MakeConstSpan(static_cast<const uint8_t*>(m.data()), m.size()),
                           it->second);
        fed_end_ = offset + m.size();
      }
      reorder_.erase(it);
    }
    ++hash_cursor_;
  }
  while (!reorder_.empty() && reorder_.begin()->first < hash_cursor_) {
    reorder_.erase(reorder_.begin());
  }
  uint64_t prefix =
      hash_cursor_ == count ? manifest_->size_bytes : manifest_->ChunkOffset(hash_cursor_);
  file_hasher_->AdvanceTo(prefix);
}

void Download::Pump(Session& session, absl::Time now) {
  if (scheduler_ == nullptr || !session.have_bitfield || finished()) return;
  for (ChunkIndex c : scheduler_->NextRequests(session.handle, now)) {
    session.link->RequestChunk(root_bytes_, static_cast<uint32_t>(c));
  }
}

void Download::DropSession(PeerHandle handle, bool banned, absl::Time now) {
  auto it = sessions_.find(static_cast<uint32_t>(handle));
  if (it == sessions_.end()) return;
  Session& s = it->second;
  Gone& gone = gone_[s.endpoint];
  gone.peer_id = s.peer_id;
  gone.username = s.username;
  gone.endpoint = s.endpoint;
  gone.bytes_received += s.bytes_received;
  gone.strikes += s.strikes;
  gone.banned = gone.banned || banned;
  gone.retry_after = now + options_.reconnect_backoff;
  if (scheduler_ != nullptr) {
    if (banned) scheduler_->Ban(handle);
    scheduler_->RemovePeer(handle);
  }
  sessions_.erase(it);
  PublishProgress(now, true);
}

void Download::Tick(absl::Time now) {
  if (finished()) return;
  if (!peers_requested_ && now >= next_peer_refresh_) {
    peers_requested_ = true;
    next_peer_refresh_ = now + options_.peer_refresh;
    host_.RequestPeers(options_.id, options_.root);
  }
  if (scheduler_ != nullptr) {
    for (const ChunkScheduler::Request& r : scheduler_->ExpireRequests(now)) {
      auto it = sessions_.find(static_cast<uint32_t>(r.peer));
      if (it != sessions_.end())
        it->second.link->Cancel(root_bytes_, static_cast<uint32_t>(r.chunk));
    }
    std::vector<PeerHandle> stalled;
    for (auto& [key, session] : sessions_) {
      if (scheduler_->IsStalled(session.handle)) stalled.push_back(session.handle);
    }
    for (PeerHandle h : stalled) {
      PT_LOG_INFO("dropping stalled peer for {}", manifest_->name);
      DropSession(h, false, now);
    }
    for (auto& [key, session] : sessions_) Pump(session, now);
  }
  PersistResume(now, false);
  PublishProgress(now, false);
}

void Download::PersistResume(absl::Time now, bool force) {
  if (resume_ == nullptr || writer_ == nullptr || !resume_dirty_) return;
  if (!force && now - last_persist_ < options_.persist_interval) return;
  // The writer syncs the data before saving the state that claims it.
  writer_->Submit(*resume_);
  if (force) writer_->Flush();
  resume_dirty_ = false;
  last_persist_ = now;
}

void Download::Finalize(absl::Time now) {
  state_ = v1::DOWNLOAD_STATE_VERIFYING;
  // Every chunk is in: no more state saves; the state file goes away below.
  if (writer_ != nullptr) writer_->Stop();
  PublishProgress(now, true);
  absl::StatusOr<Sha256Digest> hashed = file_hasher_->Wait();
  if (!hashed.ok()) hashed = file_->HashAll();
  if (!hashed.ok()) {
    Fail(hashed.status(), now);
    return;
  }
  Sha256Digest digest = *hashed;
  if (digest != manifest_->file_sha256) {
    ::unlink(ResumePath().c_str());
    ::unlink(PartialPath().c_str());
    Fail(absl::DataLossError("whole-file SHA-256 does not match the manifest"), now);
    return;
  }
  if (absl::Status s = file_->Publish(options_.downloads_dir, manifest_->name, options_.overwrite);
      !s.ok()) {
    Fail(s, now);
    return;
  }
  ::unlink(ResumePath().c_str());
  resume_dirty_ = false;
  final_path_ = file_->path();
  Finish(v1::DOWNLOAD_STATE_COMPLETED, now);
}

void Download::Fail(absl::Status status, absl::Time now) {
  PT_LOG_WARN("download {} failed: {}", options_.id, status.ToString());
  error_ = std::string(status.message());
  PersistResume(now, true);
  if (writer_ != nullptr) writer_->Stop();
  Finish(v1::DOWNLOAD_STATE_FAILED, now);
}

void Download::Cancel(absl::Time now) {
  if (finished()) return;
  verifier_.reset();
  writer_.reset();
  file_hasher_.reset();
  file_.reset();
  ::unlink(PartialPath().c_str());
  ::unlink(ResumePath().c_str());
  resume_.reset();
  Finish(v1::DOWNLOAD_STATE_CANCELLED, now);
}

void Download::Finish(v1::DownloadState state, absl::Time now) {
  state_ = state;
  reorder_.clear();
  finished_at_ = now;
  counters_.seconds = absl::ToDoubleSeconds(finished_at_ - started_at_);
  for (auto& [key, s] : sessions_) {
    Gone& gone = gone_[s.endpoint];
    gone.peer_id = s.peer_id;
    gone.username = s.username;
    gone.endpoint = s.endpoint;
    gone.bytes_received += s.bytes_received;
    gone.strikes += s.strikes;
    gone.banned = gone.banned || (scheduler_ != nullptr && scheduler_->IsBanned(s.handle));
  }
  sessions_.clear();
  // The node records the outcome (re-seeding, the file as held, the root no
  // longer active) before anyone can see the final state: a watcher that
  // sees COMPLETED and asks again must get ALREADY_EXISTS, not this id.
  host_.OnFinished(*this);
  PublishProgress(now, true);
}

v1::DownloadProgress Download::Progress(absl::Time now) const {
  (void)now;
  v1::DownloadProgress p;
  p.set_download_id(options_.id);
  p.set_root_hash(root_bytes_);
  p.set_state(state_);
  if (manifest_ != nullptr) {
    p.set_name(manifest_->name);
    p.set_size_bytes(manifest_->size_bytes);
    p.set_chunk_count(manifest_->chunk_count());
    uint32_t done = resume_ != nullptr
                        ? resume_->CountSet()
                        : (state_ == v1::DOWNLOAD_STATE_COMPLETED ? manifest_->chunk_count() : 0);
    p.set_chunks_done(done);
    uint64_t bytes = 0;
    if (done == manifest_->chunk_count()) {
      bytes = manifest_->size_bytes;
    } else {
      bytes = static_cast<uint64_t>(done) * manifest_->chunk_size_bytes;
      if (bytes > manifest_->size_bytes) bytes = manifest_->size_bytes;
    }
    p.set_bytes_done(bytes);
    p.set_rate_bytes_per_s(finished() ? 0 : rate_bytes_per_s_);
    if (!finished() && rate_bytes_per_s_ > 0) {
      p.set_eta_seconds((manifest_->size_bytes - bytes) / rate_bytes_per_s_);
    }
    if (state_ == v1::DOWNLOAD_STATE_COMPLETED) {
      p.set_file_sha256(DigestToBytes(manifest_->file_sha256));
    }
  }
  uint32_t seeders = 0;
  for (const auto& [key, s] : sessions_) {
    if (s.have_bitfield) ++seeders;
    v1::PeerContribution* c = p.add_peers();
    c->set_peer_id(s.peer_id);
    c->set_username(s.username);
    c->set_chunk_endpoint(s.endpoint);
    c->set_bytes_received(s.bytes_received);
    c->set_strikes(s.strikes);
    c->set_banned(false);
  }
  for (const auto& [endpoint, g] : gone_) {
    v1::PeerContribution* c = p.add_peers();
    c->set_peer_id(g.peer_id);
    c->set_username(g.username);
    c->set_chunk_endpoint(g.endpoint);
    c->set_bytes_received(g.bytes_received);
    c->set_strikes(g.strikes);
    c->set_banned(g.banned);
  }
  p.set_seeders(seeders);
  p.set_error(error_);
  p.set_path(final_path_);
  const absl::Time end = finished() ? finished_at_ : now;
  if (started_at_ != absl::Time() && end > started_at_) {
    p.set_elapsed_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(end - started_at_)));
  }
  p.set_bytes_received(counters_.bytes_received);
  return p;
}

void Download::PublishProgress(absl::Time now, bool force) {
  if (!force && now - last_progress_ < options_.progress_interval) return;
  absl::Duration since = now - rate_mark_time_;
  if (since >= absl::Milliseconds(200)) {
    double instant = static_cast<double>(counters_.bytes_received - rate_mark_bytes_) /
                     absl::ToDoubleSeconds(since);
    rate_bytes_per_s_ = static_cast<uint64_t>(
        rate_bytes_per_s_ == 0 ? instant : 0.7 * rate_bytes_per_s_ + 0.3 * instant);
    rate_mark_bytes_ = counters_.bytes_received;
    rate_mark_time_ = now;
  }
  last_progress_ = now;
  host_.OnProgress(Progress(now), counters_);
}

}  // namespace pytorrent::peer
