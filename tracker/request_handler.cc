#include "tracker/request_handler.h"

#include <algorithm>

#include "tracker/transaction_id_recovery.h"

namespace pytorrent::tracker {

namespace {

// Holds a whole received batch's requests and replies (64 of them, a few
// KiB each) until the batch is answered.
constexpr size_t kArenaBlockBytes = 512 * 1024;
// Room left in a reply for everything around the listed items: transaction
// id, envelope tags and lengths, page token (up to 36 bytes), totals.
constexpr size_t kEnvelopeReserveBytes = 64;
// Error messages are ours, but keep them short all the same.
constexpr size_t kMaxErrorMessageBytes = 200;
// Root hashes are SHA-256 Merkle roots.
constexpr size_t kHashBytes = 32;

google::protobuf::ArenaOptions ArenaOptionsFor(char* block) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = kArenaBlockBytes;
  return options;
}

}  // namespace

std::string_view RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kConnect:
      return "connect";
    case RequestKind::kAnnounce:
      return "announce";
    case RequestKind::kLeave:
      return "leave";
    case RequestKind::kListPeers:
      return "list_peers";
    case RequestKind::kSearchFiles:
      return "search_files";
    case RequestKind::kGetFilePeers:
      return "get_file_peers";
    case RequestKind::kRename:
      return "rename";
    case RequestKind::kGetStats:
      return "get_stats";
    case RequestKind::kCount:
      break;
  }
  return "unknown";
}

std::string_view RejectKindName(RejectKind kind) {
  switch (kind) {
    case RejectKind::kOversize:
      return "oversize";
    case RejectKind::kMalformed:
      return "malformed";
    case RejectKind::kBadMagic:
      return "bad_magic";
    case RejectKind::kUnsupported:
      return "unsupported";
    case RejectKind::kBadConnectionId:
      return "bad_connection_id";
    case RejectKind::kAmplificationDrop:
      return "amplification_drop";
    case RejectKind::kInvalidArgument:
      return "invalid_argument";
    case RejectKind::kUsernameTaken:
      return "username_taken";
    case RejectKind::kUnknownPeer:
      return "unknown_peer";
    case RejectKind::kNotOwner:
      return "not_owner";
    case RejectKind::kCapacity:
      return "capacity";
    case RejectKind::kNotFound:
      return "not_found";
    case RejectKind::kInternal:
      return "internal";
    case RejectKind::kStoreUnavailable:
      return "store_unavailable";
    case RejectKind::kCount:
      break;
  }
  return "unknown";
}

uint64_t HandlerCounters::TotalRejects() const {
  uint64_t total = 0;
  for (uint64_t n : rejects) total += n;
  return total;
}

HandlerCounters& HandlerCounters::operator+=(const HandlerCounters& other) {
  datagrams += other.datagrams;
  replies += other.replies;
  for (size_t i = 0; i < requests.size(); ++i) requests[i] += other.requests[i];
  for (size_t i = 0; i < rejects.size(); ++i) rejects[i] += other.rejects[i];
  return *this;
}

RequestHandler::RequestHandler(SwarmStore& registry, ConnectionIdMinter& minter,
                               absl::Time start_time, std::mutex* registry_mu)
    : registry_(registry),
      minter_(minter),
      start_time_(start_time),
      registry_mu_(registry_mu),
      arena_block_(new char[kArenaBlockBytes]),
      arena_(ArenaOptionsFor(arena_block_.get())) {}

HandlerCounters RequestHandler::counters() const {
  HandlerCounters c;
  c.datagrams = counters_.datagrams.load(std::memory_order_relaxed);
  c.replies = counters_.replies.load(std::memory_order_relaxed);
  for (size_t i = 0; i < c.requests.size(); ++i) {
    c.requests[i] = counters_.requests[i].load(std::memory_order_relaxed);
  }
  for (size_t i = 0; i < c.rejects.size(); ++i) {
    c.rejects[i] = counters_.rejects[i].load(std::memory_order_relaxed);
  }
  return c;
}

HandlerCounters RequestHandler::GroupCounters() const {
  if (group_.empty()) return counters();
  HandlerCounters total;
  for (const RequestHandler* h : group_) total += h->counters();
  return total;
}

void RequestHandler::SetError(RejectKind kind, v1::TrackerErrorCode code, std::string_view message,
                              v1::TrackerResponse* response) {
  Reject(kind);
  v1::TrackerError* error = response->mutable_error();
  error->set_code(code);
  message = message.substr(0, kMaxErrorMessageBytes);
  error->set_message(message.data(), message.size());
}

void RequestHandler::SetStatusError(const absl::Status& status, v1::TrackerErrorCode not_found_code,
                                    v1::TrackerResponse* response) {
  const std::string_view message(status.message().data(), status.message().size());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      SetError(RejectKind::kInvalidArgument, v1::TRACKER_ERROR_CODE_MALFORMED, message, response);
      return;
    case absl::StatusCode::kAlreadyExists:
      SetError(RejectKind::kUsernameTaken, v1::TRACKER_ERROR_CODE_USERNAME_TAKEN, message,
               response);
      return;
    case absl::StatusCode::kPermissionDenied:
      SetError(RejectKind::kNotOwner, v1::TRACKER_ERROR_CODE_NOT_OWNER, message, response);
      return;
    case absl::StatusCode::kResourceExhausted:
      SetError(RejectKind::kCapacity, v1::TRACKER_ERROR_CODE_CAPACITY, message, response);
      return;
    case absl::StatusCode::kNotFound:
      SetError(not_found_code == v1::TRACKER_ERROR_CODE_UNKNOWN_PEER ? RejectKind::kUnknownPeer
                                                                     : RejectKind::kNotFound,
               not_found_code, message, response);
      return;
    case absl::StatusCode::kUnavailable:
      SetError(RejectKind::kStoreUnavailable, v1::TRACKER_ERROR_CODE_TRY_AGAIN, message, response);
      return;
    default:
      SetError(RejectKind::kInternal, v1::TRACKER_ERROR_CODE_INTERNAL, message, response);
      return;
  }
}

namespace {

// Drops peers on a loopback endpoint from a list sent to a client that is
// not on loopback: it would dial its own machine. Keeps the order.
void DropLoopbackPeers(google::protobuf::RepeatedPtrField<v1::FilePeer>* peers) {
  int kept = 0;
  for (int i = 0; i < peers->size(); ++i) {
    if (IsLoopbackEndpoint(peers->Get(i).chunk_endpoint())) continue;
    if (kept != i) peers->SwapElements(kept, i);
    ++kept;
  }
  while (peers->size() > kept) peers->RemoveLast();
}

}  // namespace

bool RequestHandler::RewriteEndpoint(v1::AnnounceRequest& announce, const SourceAddress& from,
                                     v1::TrackerResponse* response) {
  absl::StatusOr<std::string> endpoint = BuildPeerEndpoint(announce, from, endpoint_policy_);
  if (!endpoint.ok()) {
    SetError(
        RejectKind::kInvalidArgument, v1::TRACKER_ERROR_CODE_MALFORMED,
        std::string_view(endpoint.status().message().data(), endpoint.status().message().size()),
        response);
    return false;
  }
  announce.set_chunk_endpoint(*std::move(endpoint));
  announce.clear_chunk_port();
  return true;
}

void RequestHandler::Dispatch(const v1::TrackerRequest& request, const SourceAddress& from,
                              absl::Time now, v1::TrackerResponse* response) {
  constexpr size_t kListBudget = kMaxReplyBytes - kEnvelopeReserveBytes;
  switch (request.body_case()) {
    case v1::TrackerRequest::kConnect: {
      if (request.connect().protocol_magic() != kProtocolMagic) {
        SetError(RejectKind::kBadMagic, v1::TRACKER_ERROR_CODE_MALFORMED,
                 "connect needs protocol_magic 0x41727101980", response);
        return;
      }
      v1::ConnectResponse* reply = response->mutable_connect();
      reply->set_connection_id(minter_.Mint(from, now));
      reply->set_lifetime_seconds(static_cast<uint32_t>(absl::ToInt64Seconds(minter_.lifetime())));
      return;
    }
    case v1::TrackerRequest::kAnnounce:
      // Announces go through RunAnnounces (batched); never dispatched here.
      SetError(RejectKind::kInternal, v1::TRACKER_ERROR_CODE_INTERNAL, "announce not batched",
               response);
      return;
    case v1::TrackerRequest::kLeave: {
      absl::Status s = registry_.Leave(request.leave().peer_id(), request.leave().peer_key(), now);
      if (!s.ok()) {
        SetStatusError(s, v1::TRACKER_ERROR_CODE_UNKNOWN_PEER, response);
        return;
      }
      response->mutable_leave();
      return;
    }
    case v1::TrackerRequest::kRename: {
      const v1::RenameRequest& r = request.rename();
      absl::Status s = registry_.Rename(r.peer_id(), r.peer_key(), r.new_username(), now);
      if (!s.ok()) {
        SetStatusError(s, v1::TRACKER_ERROR_CODE_UNKNOWN_PEER, response);
        return;
      }
      response->mutable_rename();
      return;
    }
    case v1::TrackerRequest::kListPeers: {
      const v1::ListPeersRequest& r = request.list_peers();
      v1::ListPeersResponse* reply = response->mutable_list_peers();
      absl::Status s = registry_.ListPeers(
          {.token = r.page_token(), .page_size = r.page_size(), .max_bytes = kListBudget}, now,
          reply->mutable_peers(), reply->mutable_next_page_token());
      if (!s.ok()) {
        SetStatusError(s, v1::TRACKER_ERROR_CODE_NOT_FOUND, response);
        return;
      }
      reply->set_total_peers(static_cast<uint32_t>(registry_.CountPeers()));
      return;
    }
    case v1::TrackerRequest::kSearchFiles: {
      const v1::SearchFilesRequest& r = request.search_files();
      v1::SearchFilesResponse* reply = response->mutable_search_files();
      absl::Status s = registry_.SearchFiles(
          r.query(),
          {.token = r.page_token(), .page_size = r.page_size(), .max_bytes = kListBudget}, now,
          reply->mutable_files(), reply->mutable_next_page_token());
      if (!s.ok()) SetStatusError(s, v1::TRACKER_ERROR_CODE_NOT_FOUND, response);
      return;
    }
    case v1::TrackerRequest::kGetFilePeers: {
      const v1::GetFilePeersRequest& r = request.get_file_peers();
      absl::Status s = registry_.GetFilePeers(r.root_hash(), r.max_peers(), r.exclude_peer_id(),
                                              kListBudget, now, response->mutable_get_file_peers());
      if (!s.ok()) {
        SetStatusError(s, v1::TRACKER_ERROR_CODE_NOT_FOUND, response);
      } else if (!IsLoopback(from)) {
        DropLoopbackPeers(response->mutable_get_file_peers()->mutable_peers());
      }
      return;
    }
    case v1::TrackerRequest::kGetStats: {
      registry_.ExpireIdle(now);
      v1::GetStatsResponse* reply = response->mutable_get_stats();
      reply->set_peers(static_cast<uint32_t>(registry_.CountPeers()));
      reply->set_files(static_cast<uint32_t>(registry_.CountFiles()));
      const HandlerCounters c = GroupCounters();
      reply->set_announces(c.announces());
      reply->set_requests(c.datagrams);
      reply->set_errors(c.TotalRejects());
      reply->set_uptime_seconds(
          static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Seconds(now - start_time_))));
      return;
    }
    case v1::TrackerRequest::BODY_NOT_SET:
      break;
  }
  SetError(RejectKind::kUnsupported, v1::TRACKER_ERROR_CODE_UNSUPPORTED,
           "unknown or missing request kind", response);
}

bool RequestHandler::Start(absl::Span<const uint8_t> datagram, const SourceAddress& from,
                           absl::Time now, Pending* p) {
  Bump(counters_.datagrams);
  if (datagram.size() > kMaxRequestBytes) {
    Reject(RejectKind::kOversize);
    return false;
  }
  p->from = from;
  p->datagram_bytes = datagram.size();
  p->request = google::protobuf::Arena::CreateMessage<v1::TrackerRequest>(&arena_);
  p->response = google::protobuf::Arena::CreateMessage<v1::TrackerResponse>(&arena_);
  v1::TrackerRequest* request = p->request;
  v1::TrackerResponse* response = p->response;
  if (!request->ParseFromArray(datagram.data(), static_cast<int>(datagram.size()))) {
    // Echo the id when the top-level framing holds, so the client fails fast.
    response->set_transaction_id(RecoverTransactionId(datagram));
    SetError(RejectKind::kMalformed, v1::TRACKER_ERROR_CODE_MALFORMED,
             "datagram is not a TrackerRequest", response);
    return true;
  }
  response->set_transaction_id(request->transaction_id());
  const auto body = request->body_case();
  if (body == v1::TrackerRequest::BODY_NOT_SET) {
    SetError(RejectKind::kUnsupported, v1::TRACKER_ERROR_CODE_UNSUPPORTED,
             "unknown or missing request kind", response);
    return true;
  }
  // Oneof field numbers 3..10 map onto RequestKind in order.
  Bump(counters_.requests[static_cast<size_t>(body) - v1::TrackerRequest::kConnect]);
  if (body == v1::TrackerRequest::kConnect) {
    Dispatch(*request, from, now, response);
    return true;
  }
  if (!minter_.Verify(request->connection_id(), from, now)) {
    SetError(RejectKind::kBadConnectionId, v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID,
             "connection id is missing, forged or expired: connect again", response);
    return true;
  }
  p->verified = true;
  if (body == v1::TrackerRequest::kAnnounce) {
    // The listed endpoint is built outside the registry lock.
    if (!RewriteEndpoint(*request->mutable_announce(), from, response)) return true;
    // Checked before the announce so a bad request changes nothing.
    const std::string& peers_for = request->announce().peers_for_root_hash();
    if (!peers_for.empty() && peers_for.size() != kHashBytes) {
      SetError(RejectKind::kInvalidArgument, v1::TRACKER_ERROR_CODE_MALFORMED,
               "peers_for_root_hash must be empty or 32 bytes", response);
      return true;
    }
    p->announce = true;
    return true;
  }
  if (registry_mu_ != nullptr) {
    std::lock_guard<std::mutex> lock(*registry_mu_);
    Dispatch(*request, from, now, response);
  } else {
    Dispatch(*request, from, now, response);
  }
  return true;
}

void RequestHandler::RunAnnounces(absl::Span<Pending*> announces, absl::Time now) {
  if (announces.empty()) return;
  constexpr size_t kListBudget = kMaxReplyBytes - kEnvelopeReserveBytes;
  std::vector<SwarmStore::AnnounceCall> calls(announces.size());
  for (size_t i = 0; i < announces.size(); ++i) {
    Pending& p = *announces[i];
    // BEP 15: the announce reply carries the swarm's peers. Built as a
    // GetFilePeersResponse on the same arena, then swapped in (no copy).
    p.peers = google::protobuf::Arena::CreateMessage<v1::GetFilePeersResponse>(&arena_);
    calls[i].request = &p.request->announce();
    calls[i].max_bytes = kListBudget;
    calls[i].peers = p.peers;
  }
  uint32_t peer_count = 0;
  {
    // The count is read under the same lock: another shard may be adding
    // peers to a shared registry meanwhile.
    std::unique_lock<std::mutex> lock;
    if (registry_mu_ != nullptr) lock = std::unique_lock<std::mutex>(*registry_mu_);
    registry_.AnnounceBatch(absl::MakeSpan(calls), now);
    peer_count = static_cast<uint32_t>(registry_.CountPeers());
  }
  const uint32_t interval_s =
      static_cast<uint32_t>(absl::ToInt64Seconds(registry_.announce_interval()));
  for (size_t i = 0; i < announces.size(); ++i) {
    Pending& p = *announces[i];
    const SwarmStore::AnnounceCall& call = calls[i];
    if (!call.status.ok()) {
      SetStatusError(call.status, v1::TRACKER_ERROR_CODE_UNKNOWN_PEER, p.response);
      continue;
    }
    v1::AnnounceResponse* reply = p.response->mutable_announce();
    reply->set_interval_seconds(interval_s);
    reply->set_peer_count(peer_count);
    // An unknown file leaves the reply without peers.
    if (call.peers_found) {
      if (!IsLoopback(p.from)) DropLoopbackPeers(p.peers->mutable_peers());
      reply->mutable_peers()->Swap(p.peers->mutable_peers());
      reply->mutable_file()->Swap(p.peers->mutable_file());
    }
  }
}

size_t RequestHandler::Finish(Pending& p, absl::Span<uint8_t> out) {
  v1::TrackerResponse* response = p.response;
  size_t size = response->ByteSizeLong();
  if (!p.verified && size > p.datagram_bytes && response->has_error()) {
    response->mutable_error()->clear_message();
    size = response->ByteSizeLong();
  }
  if (!p.verified && size > p.datagram_bytes) {
    // An error reply was counted under its own kind already: one datagram,
    // one count.
    if (!response->has_error()) {
      Reject(RejectKind::kAmplificationDrop);
    }
    return 0;
  }
  if (size > kMaxReplyBytes || size > out.size()) {
    // Paging keeps replies small; this is a bug guard, not a normal path.
    const uint32_t txid = response->transaction_id();
    response->Clear();
    response->set_transaction_id(txid);
    SetError(RejectKind::kInternal, v1::TRACKER_ERROR_CODE_INTERNAL, "reply too large", response);
    size = response->ByteSizeLong();
  }
  response->SerializeWithCachedSizesToArray(out.data());
  Bump(counters_.replies);
  return size;
}

size_t RequestHandler::Handle(absl::Span<const uint8_t> datagram, const SourceAddress& from,
                              absl::Time now, absl::Span<uint8_t> out) {
  Pending p;
  size_t size = 0;
  if (Start(datagram, from, now, &p)) {
    if (p.announce) {
      Pending* one = &p;
      RunAnnounces(absl::MakeSpan(&one, 1), now);
    }
    size = Finish(p, out);
  }
  arena_.Reset();
  return size;
}

void RequestHandler::HandleBatch(absl::Span<BatchItem> batch, absl::Time now) {
  std::vector<Pending> pending(batch.size());
  std::vector<bool> answer(batch.size(), false);
  std::vector<Pending*> announces;
  for (size_t i = 0; i < batch.size(); ++i) {
    answer[i] = Start(batch[i].datagram, batch[i].from, now, &pending[i]);
    if (answer[i] && pending[i].announce) announces.push_back(&pending[i]);
  }
  RunAnnounces(absl::MakeSpan(announces), now);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].reply_bytes = answer[i] ? Finish(pending[i], batch[i].out) : 0;
  }
  arena_.Reset();
}

}  // namespace pytorrent::tracker
