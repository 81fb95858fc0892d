#include "peer/download/download.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace pytorrent::peer {
namespace {

// proto/wire.proto: a seeder sends a Bitfield right after the manifest, and
// chunks are requested only from seeders whose Bitfield arrived.
constexpr absl::Duration kBitfieldDeadline = absl::Seconds(10);

v1::PeerMessage Hello(uint64_t peer_id) {
  v1::PeerMessage m;
  m.mutable_hello()->set_peer_id(peer_id);
  m.mutable_hello()->set_protocol_version(v1::PROTOCOL_VERSION_1);
  return m;
}

v1::PeerMessage ManifestRequest(const std::string& root) {
  v1::PeerMessage m;
  m.mutable_manifest_request()->set_root_hash(root);
  return m;
}

v1::PeerMessage ChunkRequest(const std::string& root, uint32_t chunk) {
  v1::PeerMessage m;
  m.mutable_chunk_request()->set_root_hash(root);
  m.mutable_chunk_request()->set_chunk_index(chunk);
  return m;
}

v1::PeerMessage CancelRequest(const std::string& root, uint32_t chunk) {
  v1::PeerMessage m;
  m.mutable_cancel()->set_root_hash(root);
  m.mutable_cancel()->set_chunk_index(chunk);
  return m;
}

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToInt64Seconds(d), " s"); }

bool BitSet(const std::string& bits, uint32_t c) {
  return (static_cast<uint8_t>(bits[c / 8]) >> (7 - c % 8)) & 1;
}

}  // namespace

Download::Download(DownloadOptions options, DownloadHost& host, const TimeSource& clock,
                   std::unique_ptr<PeerLinks> links, const StorageFactory& make_storage)
    : options_(std::move(options)),
      host_(host),
      clock_(clock),
      links_(std::move(links)),
      storage_(make_storage(*this)),
      root_bytes_(DigestToBytes(options_.root)) {}

// Storage first: its destructor hands the last resume-state save to the
// background, and no completion reaches this object afterwards.
Download::~Download() { storage_.reset(); }

bool Download::finished() const {
  return state_ == v1::DOWNLOAD_STATE_COMPLETED || state_ == v1::DOWNLOAD_STATE_FAILED ||
         state_ == v1::DOWNLOAD_STATE_CANCELLED;
}

bool Download::HasChunk(uint32_t chunk) const {
  if (state_ == v1::DOWNLOAD_STATE_COMPLETED) return true;
  return scheduler_ != nullptr && scheduler_->Has(ChunkIndex{chunk});
}

void Download::Start(absl::Time now) {
  started_at_ = now;
  last_chunk_at_ = now;
  rate_mark_time_ = now;
  peers_requested_ = true;
  next_peer_refresh_ = now + options_.peer_refresh;
  host_.RequestPeers(options_.id, options_.root);
  PublishProgress(now, true);
}

void Download::OnPeers(const v1::GetFilePeersResponse& response, absl::Time now) {
  peers_requested_ = false;
  if (finished()) return;
  lookup_note_ = response.peers().empty() ? "no peer has this file yet" : "";
  for (const v1::FilePeer& peer : response.peers()) Connect(peer, now);
}

void Download::OnPeersFailed(const absl::Status& status, absl::Time now) {
  peers_requested_ = false;
  lookup_note_ = absl::IsNotFound(status) ? "no peer has this file yet"
                                          : absl::StrCat("looking for peers: ", status.message());
  if (sessions_.empty() && !finished()) {
    error_ = absl::StrCat("looking for peers: ", status.message());
    PublishProgress(now, true);
  }
}

bool Download::SendTo(PeerHandle handle, const v1::PeerMessage& message) {
  return links_->Send(handle, message);
}

void Download::Connect(const v1::FilePeer& peer, absl::Time now) {
  if (peer.chunk_endpoint().empty() || peer.chunk_endpoint() == options_.self_endpoint ||
      (peer.peer_id() != 0 && peer.peer_id() == options_.self_peer_id)) {
    return;
  }
  for (const auto& [key, session] : sessions_) {
    if (session.endpoint == peer.chunk_endpoint()) return;
  }
  if (auto it = gone_.find(peer.chunk_endpoint()); it != gone_.end()) {
    if (it->second.banned || now < it->second.retry_after) return;
  }
  const PeerHandle handle{next_handle_++};
  if (!links_->Open(handle, peer.chunk_endpoint()).ok()) return;
  Session session;
  session.handle = handle;
  session.peer_id = peer.peer_id();
  session.username = peer.username();
  session.endpoint = peer.chunk_endpoint();
  session.opened_at = now;
  SendTo(handle, Hello(options_.self_peer_id));
  SendTo(handle, ManifestRequest(root_bytes_));
  if (scheduler_ != nullptr) scheduler_->AddPeer(handle);
  sessions_.emplace(static_cast<uint32_t>(handle), std::move(session));
  if (!error_.empty() && state_ == v1::DOWNLOAD_STATE_STARTING) error_.clear();
}

void Download::OnMessage(PeerHandle handle, const v1::PeerMessage& m, ChunkBytes data,
                         absl::Time now) {
  if (finished()) return;
  auto it = sessions_.find(static_cast<uint32_t>(handle));
  if (it == sessions_.end()) return;
  Session& session = it->second;
  if (!session.answered) {
    session.answered = true;
    session.answered_at = now;
  }
  switch (m.body_case()) {
    case v1::PeerMessage::kHello:
      if (session.peer_id == 0) session.peer_id = m.hello().peer_id();
      return;
    case v1::PeerMessage::kManifest:
      OnManifest(session, m.manifest(), now);
      return;
    case v1::PeerMessage::kBitfield:
      OnBitfield(session, m.bitfield(), now);
      return;
    case v1::PeerMessage::kHave:
      if (m.have().root_hash() != root_bytes_) return;
      if (scheduler_ != nullptr) {
        scheduler_->SetPeerHas(session.handle, ChunkIndex{m.have().chunk_index()});
      } else {
        session.pending_haves.push_back(m.have().chunk_index());
      }
      return;
    case v1::PeerMessage::kChunk:
      OnChunk(session, m.chunk(), std::move(data), now);
      return;
    case v1::PeerMessage::kReject: {
      const v1::Reject& r = m.reject();
      if (r.reason() == v1::REJECT_REASON_NO_CREDIT) session.last_no_credit = now;
      if (scheduler_ != nullptr && r.root_hash() == root_bytes_ &&
          r.reason() == v1::REJECT_REASON_NO_CREDIT) {
        scheduler_->OnNoCredit(session.handle, ChunkIndex{r.chunk_index()});
        return;
      }
      if (scheduler_ != nullptr && r.root_hash() == root_bytes_ &&
          (r.reason() == v1::REJECT_REASON_UNKNOWN_CHUNK ||
           r.reason() == v1::REJECT_REASON_INTERNAL)) {
        scheduler_->OnRejected(session.handle, ChunkIndex{r.chunk_index()},
                               r.reason() == v1::REJECT_REASON_UNKNOWN_CHUNK);
        return;
      }
      if (r.reason() == v1::REJECT_REASON_UNKNOWN_FILE) {
        DropSession(session.handle, false, now, "does not have this file");
      } else if (r.reason() == v1::REJECT_REASON_BANNED) {
        DropSession(session.handle, false, now, "refuses to serve us");
      } else if (r.reason() == v1::REJECT_REASON_VERSION) {
        DropSession(session.handle, false, now, "speaks another protocol version");
      }
      return;
    }
    default:
      ++counters_.malformed_frames;
      return;
  }
}

void Download::AfterMessages(PeerHandle handle, absl::Time now) {
  if (finished()) return;
  auto it = sessions_.find(static_cast<uint32_t>(handle));
  if (it != sessions_.end()) Pump(it->second, now);
}

void Download::OnBitfield(Session& session, const v1::Bitfield& b, absl::Time now) {
  if (b.root_hash() != root_bytes_) return;
  session.pending_bits = b.bits();
  session.pending_all = false;
  if (b.bits().size() == (static_cast<size_t>(b.chunk_count()) + 7) / 8) {
    bool all = true;
    for (uint32_t c = 0; c < b.chunk_count() && all; ++c) all = BitSet(b.bits(), c);
    session.pending_all = all;
  }
  session.have_bitfield = true;
  error_.clear();  // a usable seeder: an earlier "no Bitfield" is moot
  ApplyHoldings(session);
  Pump(session, now);
}

void Download::OnManifest(Session& session, const v1::ManifestResponse& response, absl::Time now) {
  if (manifest_ != nullptr) return;
  absl::StatusOr<Manifest> manifest = ManifestFromProto(response, options_.root);
  if (!manifest.ok()) {
    // A peer lying about the manifest is as bad as one sending bad chunks.
    PT_LOG_WARN("peer {} sent a bad manifest: {}", session.endpoint, manifest.status().ToString());
    DropSession(session.handle, true, now, "sent a manifest that does not match the file");
    return;
  }
  manifest_ = std::make_shared<const Manifest>(*std::move(manifest));
  // Storage opens (or resumes and re-checks) the partial file off the loop.
  state_ = v1::DOWNLOAD_STATE_VERIFYING;
  storage_->Open(manifest_, options_.overwrite);
  PublishProgress(now, true);
}

void Download::OnOpened(absl::StatusOr<DownloadStorage::Opened> opened) {
  const absl::Time now = clock_.Now();
  if (finished()) return;
  if (!opened.ok()) {
    Fail(opened.status(), now);
    return;
  }
  const uint32_t count = manifest_->chunk_count();
  SchedulerOptions scheduler_options = options_.scheduler;
  scheduler_options.chunk_size_bytes = manifest_->chunk_size_bytes;
  scheduler_ = std::make_unique<ChunkScheduler>(count, scheduler_options, options_.tie_break_seed);
  for (uint32_t c = 0; c < count && c < opened->verified.size(); ++c) {
    if (opened->verified[c]) scheduler_->MarkHave(ChunkIndex{c});
  }
  chunks_done_ = scheduler_->have_count();
  counters_.chunks_resumed = chunks_done_;
  counters_.chunks_repaired += opened->repaired;
  if (counters_.chunks_resumed > 0) {
    PT_LOG_INFO("resuming {}: {} of {} chunks already verified ({} re-checked, {} damaged)",
                manifest_->name, counters_.chunks_resumed, count, opened->rechecked,
                opened->repaired);
  }
  state_ = v1::DOWNLOAD_STATE_DOWNLOADING;
  for (auto& [key, session] : sessions_) {
    scheduler_->AddPeer(session.handle);
    ApplyHoldings(session);
  }
  host_.OnServable(*this);
  if (scheduler_->Complete()) {
    StartFinalize(now);
    return;
  }
  PumpAll(now);
  PublishProgress(now, true);
}

void Download::ApplyHoldings(Session& session) {
  if (scheduler_ == nullptr || !session.have_bitfield) return;
  const uint32_t count = scheduler_->chunk_count();
  if (session.pending_all) {
    scheduler_->SetPeerHasAll(session.handle);
  } else if (session.pending_bits.size() == (static_cast<size_t>(count) + 7) / 8) {
    for (uint32_t c = 0; c < count; ++c) {
      if (BitSet(session.pending_bits, c)) scheduler_->SetPeerHas(session.handle, ChunkIndex{c});
    }
  }
  for (uint32_t c : session.pending_haves) scheduler_->SetPeerHas(session.handle, ChunkIndex{c});
  session.pending_haves.clear();
  session.pending_bits.clear();
}

void Download::OnChunk(Session& session, const v1::ChunkData& header, ChunkBytes data,
                       absl::Time now) {
  if (scheduler_ == nullptr || header.root_hash() != root_bytes_ ||
      header.chunk_index() >= manifest_->chunk_count()) {
    ++counters_.malformed_frames;
    return;
  }
  const uint32_t c = header.chunk_index();
  const ChunkIndex chunk{c};
  if (scheduler_->Has(chunk)) {
    ++counters_.chunks_duplicate;
    scheduler_->OnChunkVerified(session.handle, chunk, now);
    return;
  }
  const uint32_t length = manifest_->ChunkLength(c);
  if (data.size != length || header.size_bytes() != length) {
    OnCorrupt(session.handle, c, now);
    return;
  }
  // The check and the write run in storage; the loop goes on receiving. The
  // chunk stays counted in the sender's window until OnStored.
  storage_->Store(static_cast<uint32_t>(session.handle), c, std::move(data));
}

void Download::OnCorrupt(PeerHandle handle, uint32_t chunk, absl::Time now) {
  ++counters_.chunks_corrupt;
  auto it = sessions_.find(static_cast<uint32_t>(handle));
  if (it != sessions_.end()) ++it->second.strikes;
  if (scheduler_->OnChunkCorrupt(handle, ChunkIndex{chunk}) && it != sessions_.end()) {
    PT_LOG_WARN("banning peer {} for {} after {} bad chunks", it->second.endpoint, manifest_->name,
                it->second.strikes);
    DropSession(handle, true, now,
                absl::StrCat(it->second.strikes, " chunks failed their SHA-256 check"));
  }
}

void Download::OnStored(std::vector<DownloadStorage::Stored> stored) {
  const absl::Time now = clock_.Now();
  for (DownloadStorage::Stored& s : stored) {
    if (finished() || state_ != v1::DOWNLOAD_STATE_DOWNLOADING) return;
    OnStoredOne(s, now);
  }
  if (finished() || stored.empty() || state_ != v1::DOWNLOAD_STATE_DOWNLOADING) return;
  PumpAll(now);
  PublishProgress(now, false);
}

void Download::OnStoredOne(DownloadStorage::Stored& s, absl::Time now) {
  const PeerHandle handle{s.tag};
  const uint32_t c = s.chunk;
  const ChunkIndex chunk{c};
  if (absl::IsDataLoss(s.status)) {
    OnCorrupt(handle, c, now);
    return;
  }
  if (!s.status.ok()) {
    Fail(s.status, now);
    return;
  }
  if (scheduler_->Has(chunk)) {  // an endgame twin got here first
    ++counters_.chunks_duplicate;
    scheduler_->OnChunkVerified(handle, chunk, now);
    return;
  }
  const uint32_t length = manifest_->ChunkLength(c);
  ++counters_.chunks_fetched;
  counters_.bytes_received += length;
  last_chunk_at_ = now;
  if (auto it = sessions_.find(s.tag); it != sessions_.end()) it->second.bytes_received += length;
  const ChunkScheduler::VerifiedResult result = scheduler_->OnChunkVerified(handle, chunk, now);
  chunks_done_ = scheduler_->have_count();
  for (PeerHandle other : result.cancel) SendTo(other, CancelRequest(root_bytes_, c));
  storage_->Commit(c, std::move(s.data));
  host_.OnChunkStored(*this, c);
  if (scheduler_->Complete()) StartFinalize(now);
}

void Download::StartFinalize(absl::Time now) {
  state_ = v1::DOWNLOAD_STATE_VERIFYING;
  storage_->Finalize();
  PublishProgress(now, true);
}

void Download::OnFinalized(DownloadStorage::Finalized finalized) {
  const absl::Time now = clock_.Now();
  if (finished()) return;
  if (finalized.status.ok()) {
    final_path_ = finalized.path;
    Finish(v1::DOWNLOAD_STATE_COMPLETED, now);
    return;
  }
  if (finalized.bad_chunks.empty()) {
    Fail(finalized.status, now);
    return;
  }
  // Repair: only the chunks found bad are fetched again.
  PT_LOG_WARN("{}: {}; fetching them again", manifest_->name, finalized.status.ToString());
  for (uint32_t c : finalized.bad_chunks) scheduler_->MarkMissing(ChunkIndex{c});
  counters_.chunks_repaired += finalized.bad_chunks.size();
  chunks_done_ = scheduler_->have_count();
  state_ = v1::DOWNLOAD_STATE_DOWNLOADING;
  PumpAll(now);
  PublishProgress(now, true);
}

void Download::Pump(Session& session, absl::Time now) {
  if (scheduler_ == nullptr || !session.have_bitfield || state_ != v1::DOWNLOAD_STATE_DOWNLOADING) {
    return;
  }
  for (ChunkIndex c : scheduler_->NextRequests(session.handle, now)) {
    SendTo(session.handle, ChunkRequest(root_bytes_, static_cast<uint32_t>(c)));
  }
}

void Download::PumpAll(absl::Time now) {
  for (auto& [key, session] : sessions_) Pump(session, now);
}

void Download::RecordGone(const Session& s, bool banned, absl::Time retry_after, absl::Time now,
                          std::string why) {
  Gone& gone = gone_[s.endpoint];
  gone.peer_id = s.peer_id;
  gone.username = s.username;
  gone.endpoint = s.endpoint;
  gone.bytes_received += s.bytes_received;
  gone.strikes += s.strikes;
  if (banned || !gone.banned) gone.why = std::move(why);
  gone.banned = gone.banned || banned;
  gone.retry_after = retry_after;
  gone.since = now;
}

void Download::DropSession(PeerHandle handle, bool banned, absl::Time now, std::string why) {
  auto it = sessions_.find(static_cast<uint32_t>(handle));
  if (it == sessions_.end()) return;
  RecordGone(it->second, banned, now + options_.reconnect_backoff, now, std::move(why));
  if (scheduler_ != nullptr) {
    if (banned) scheduler_->Ban(handle);
    scheduler_->RemovePeer(handle);
  }
  links_->Close(handle);
  sessions_.erase(it);
  PublishProgress(now, true);
}

void Download::Tick(absl::Time now) {
  if (finished()) return;
  // A seeder that answers but never sends a Bitfield would never be asked
  // for a chunk: drop it (retried after the backoff) and say why, rather
  // than wait. (Peers that never answer at all are the connect timeout's.)
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = (it++)->second;
    if (!s.answered || s.have_bitfield || now - s.answered_at < kBitfieldDeadline) continue;
    error_ = absl::StrCat("seeder ", s.endpoint, " sent no Bitfield within 10 s of answering ",
                          "(proto/wire.proto: one follows every manifest)");
    DropSession(s.handle, false, now, "answered but sent no Bitfield within 10 s");
  }
  if (!peers_requested_ && now >= next_peer_refresh_) {
    peers_requested_ = true;
    next_peer_refresh_ = now + options_.peer_refresh;
    host_.RequestPeers(options_.id, options_.root);
  }
  if (scheduler_ != nullptr && state_ == v1::DOWNLOAD_STATE_DOWNLOADING) {
    for (const ChunkScheduler::Request& r : scheduler_->ExpireRequests(now)) {
      SendTo(r.peer, CancelRequest(root_bytes_, static_cast<uint32_t>(r.chunk)));
    }
    std::vector<PeerHandle> stalled;
    for (auto& [key, session] : sessions_) {
      if (scheduler_->IsStalled(session.handle)) stalled.push_back(session.handle);
    }
    for (PeerHandle h : stalled) {
      PT_LOG_INFO("dropping stalled peer for {}", manifest_->name);
      DropSession(h, false, now, "stopped answering (requests timed out)");
    }
    PumpAll(now);
  }
  // Peers that never answered at all: unreachable, dialled again later.
  std::vector<PeerHandle> silent;
  for (const auto& [key, s] : sessions_) {
    if (!s.answered && now - s.opened_at >= options_.connect_timeout) silent.push_back(s.handle);
  }
  for (PeerHandle h : silent) {
    DropSession(h, false, now, absl::StrCat("no answer for ", Seconds(options_.connect_timeout)));
  }
  // Known peers, none usable for too long: say why and stop waiting.
  const bool known = !sessions_.empty() || !gone_.empty();
  if (!known || AnyPeerUsable()) {
    unusable_since_ = absl::InfiniteFuture();
  } else if (unusable_since_ == absl::InfiniteFuture()) {
    unusable_since_ = now;
  } else if (now - unusable_since_ >= options_.give_up_after) {
    Fail(absl::UnavailableError(absl::StrCat(WaitingReason(now), " (gave up after ",
                                             Seconds(options_.give_up_after), ")")),
         now);
    return;
  }
  if (now - last_persist_ >= options_.persist_interval) {
    storage_->SaveResume();
    last_persist_ = now;
  }
  PublishProgress(now, false);
}

void Download::Fail(const absl::Status& status, absl::Time now) {
  PT_LOG_WARN("download {} failed: {}", options_.id, status.ToString());
  error_ = std::string(status.message());
  failure_ = status;
  // Keeps what is verified (the resume state is saved in the background).
  storage_->Close(/*discard=*/false);
  Finish(v1::DOWNLOAD_STATE_FAILED, now);
}

void Download::Cancel(absl::Time now) {
  if (finished()) return;
  storage_->Close(/*discard=*/true);
  Finish(v1::DOWNLOAD_STATE_CANCELLED, now);
}

void Download::Finish(v1::DownloadState state, absl::Time now) {
  state_ = state;
  finished_at_ = now;
  counters_.seconds = absl::ToDoubleSeconds(finished_at_ - started_at_);
  counters_.malformed_frames = std::max(counters_.malformed_frames, links_->malformed());
  for (auto& [key, s] : sessions_) {
    RecordGone(s, scheduler_ != nullptr && scheduler_->IsBanned(s.handle), absl::InfiniteFuture(),
               now, "download ended");
    links_->Close(s.handle);
  }
  sessions_.clear();
  // The node records the outcome (re-seeding, the file as held, the root no
  // longer active) before anyone can see the final state: a watcher that
  // sees COMPLETED and asks again must get ALREADY_EXISTS, not this id.
  host_.OnFinished(*this);
  PublishProgress(now, true);
  // What a finished download keeps is its record: the scheduler's state
  // goes now (storage closes itself; the node may re-serve its file by the
  // descriptor it took in OnFinished).
  scheduler_.reset();
}

v1::DownloadProgress Download::Progress(absl::Time now) const {
  v1::DownloadProgress p;
  p.set_download_id(options_.id);
  p.set_root_hash(root_bytes_);
  p.set_state(state_);
  if (manifest_ != nullptr) {
    p.set_name(manifest_->name);
    p.set_size_bytes(manifest_->size_bytes);
    p.set_chunk_count(manifest_->chunk_count());
    const uint32_t done =
        state_ == v1::DOWNLOAD_STATE_COMPLETED ? manifest_->chunk_count() : chunks_done_;
    p.set_chunks_done(done);
    uint64_t bytes = 0;
    if (done == manifest_->chunk_count()) {
      bytes = manifest_->size_bytes;
    } else {
      bytes = std::min<uint64_t>(static_cast<uint64_t>(done) * manifest_->chunk_size_bytes,
                                 manifest_->size_bytes);
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
    DescribeSession(s, now, *p.add_peers());
  }
  for (const auto& entry : gone_) {
    // Not a structured binding: clang 14 cannot capture those in a lambda.
    const std::string& endpoint = entry.first;
    const Gone& g = entry.second;
    if (sessions_.end() != std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& kv) {
          return kv.second.endpoint == endpoint;
        })) {
      continue;  // dialled again: shown above
    }
    v1::PeerContribution* c = p.add_peers();
    c->set_peer_id(g.peer_id);
    c->set_username(g.username);
    c->set_chunk_endpoint(g.endpoint);
    c->set_bytes_received(g.bytes_received);
    c->set_strikes(g.strikes);
    c->set_banned(g.banned);
    c->set_state(g.banned ? v1::PEER_LINK_STATE_BANNED : v1::PEER_LINK_STATE_UNREACHABLE);
    c->set_state_ms(
        static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Milliseconds(now - g.since))));
    c->set_detail(g.why);
  }
  if (!finished()) p.set_waiting_reason(WaitingReason(now));
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

void Download::DescribeSession(const Session& s, absl::Time now, v1::PeerContribution& c) const {
  c.set_peer_id(s.peer_id);
  c.set_username(s.username);
  c.set_chunk_endpoint(s.endpoint);
  c.set_bytes_received(s.bytes_received);
  c.set_strikes(s.strikes);
  c.set_banned(false);
  absl::Time since = s.answered ? s.answered_at : s.opened_at;
  if (!s.answered) {
    c.set_state(v1::PEER_LINK_STATE_CONNECTING);
    if (now - s.opened_at >= absl::Seconds(3)) {
      c.set_detail(absl::StrCat("no answer for ", Seconds(now - s.opened_at)));
    }
  } else if (now - s.last_no_credit < absl::Seconds(2)) {
    c.set_state(v1::PEER_LINK_STATE_OUT_OF_CREDIT);
    c.set_detail("serving others at its limit");
    since = s.last_no_credit;
  } else if (scheduler_ != nullptr && s.have_bitfield && !scheduler_->PeerHasNeeded(s.handle)) {
    c.set_state(v1::PEER_LINK_STATE_NOTHING_NEEDED);
    c.set_detail("has none of the missing chunks");
  } else {
    c.set_state(v1::PEER_LINK_STATE_CONNECTED);
  }
  c.set_state_ms(
      static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Milliseconds(now - since))));
}

bool Download::AnyPeerUsable() const {
  for (const auto& [key, s] : sessions_) {
    if (s.answered) return true;
  }
  return false;
}

std::string Download::WaitingReason(absl::Time now) const {
  if (finished()) return "";
  // Data is flowing: nothing to explain.
  if (now - last_chunk_at_ < absl::Seconds(3)) return "";
  if (state_ == v1::DOWNLOAD_STATE_VERIFYING) return "";
  if (sessions_.empty() && gone_.empty()) {
    return lookup_note_.empty() ? std::string("looking for peers") : lookup_note_;
  }
  // Is anyone answering?
  uint32_t answered = 0, banned = 0, unreachable = 0, connecting = 0;
  std::string example;
  for (const auto& [key, s] : sessions_) {
    if (s.answered) {
      ++answered;
    } else {
      ++connecting;
      if (example.empty() && now - s.opened_at >= absl::Seconds(3)) {
        example = absl::StrCat(s.endpoint, " no answer for ", Seconds(now - s.opened_at));
      }
    }
  }
  for (const auto& [endpoint, g] : gone_) {
    bool redialled = false;
    for (const auto& [key, s] : sessions_) redialled = redialled || s.endpoint == endpoint;
    if (redialled) continue;
    if (g.banned) {
      ++banned;
    } else {
      ++unreachable;
    }
    if (example.empty() || g.banned) {
      example = absl::StrCat(g.endpoint, " ", g.why, " (", Seconds(now - g.since), " ago)");
    }
  }
  const uint32_t known = answered + banned + unreachable + connecting;
  if (answered > 0) {
    if (manifest_ == nullptr) return "waiting for the manifest";
    return absl::StrCat(answered, answered == 1 ? " peer answers" : " peers answer",
                        " but sends nothing we still need");
  }
  if (banned == known) {
    return known == 1 ? absl::StrCat("the only seeder was banned: ", example)
                      : absl::StrCat("all ", known, " seeders were banned: ", example);
  }
  return absl::StrCat(known,
                      known == 1 ? " peer known, not reachable" : " peers known, none reachable",
                      example.empty() ? std::string() : absl::StrCat(": ", example));
}

void Download::PublishProgress(absl::Time now, bool force) {
  if (!force && now - last_progress_ < options_.progress_interval) return;
  const absl::Duration since = now - rate_mark_time_;
  if (since >= absl::Milliseconds(200)) {
    const double instant = static_cast<double>(counters_.bytes_received - rate_mark_bytes_) /
                           absl::ToDoubleSeconds(since);
    rate_bytes_per_s_ = static_cast<uint64_t>(
        rate_bytes_per_s_ == 0 ? instant : 0.7 * rate_bytes_per_s_ + 0.3 * instant);
    rate_mark_bytes_ = counters_.bytes_received;
    rate_mark_time_ = now;
  }
  last_progress_ = now;
  counters_.malformed_frames = std::max(counters_.malformed_frames, links_->malformed());
  host_.OnProgress(Progress(now), counters_);
}

}  // namespace pytorrent::peer
