#include "tracker/redis_swarm_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/names.h"
#include "tracker/redis_scripts.h"

namespace pytorrent::tracker {

namespace {

// Reply layout shared by every script: code, message, three counts.
constexpr size_t kPayload = 5;
// Peers each script run may expire; ExpireIdle runs it until fewer are due.
constexpr int kExpireBatch = 256;
// ExpireIdle stops after this many runs (the next tick continues).
constexpr int kMaxExpireRuns = 64;

std::string IdBytes(uint64_t id) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(id >> (56 - 8 * i));
  return out;
}

uint64_t IdFrom(std::string_view bytes) {
  uint64_t id = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    id = (id << 8) | static_cast<uint8_t>(bytes[i]);
  }
  return id;
}

absl::Status StatusFromCode(std::string_view code, std::string_view message) {
  const std::string m(message);
  if (code == "OK") return absl::OkStatus();
  if (code == "INVALID_ARGUMENT") return absl::InvalidArgumentError(m);
  if (code == "PERMISSION_DENIED") return absl::PermissionDeniedError(m);
  if (code == "ALREADY_EXISTS") return absl::AlreadyExistsError(m);
  if (code == "RESOURCE_EXHAUSTED") return absl::ResourceExhaustedError(m);
  if (code == "NOT_FOUND") return absl::NotFoundError(m);
  return absl::InternalError(absl::StrCat("unexpected script result ", std::string(code)));
}

// Errors Redis gives while it cannot serve for now (loading its data after a
// restart, a busy script, a cluster without a master for the slot, ...).
bool IsTransient(std::string_view error) {
  for (std::string_view prefix :
       {"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "MOVED", "ASK"}) {
    if (error.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

const std::string& Str(const RedisReply& r) { return r.str; }

uint64_t Num(const RedisReply& r) {
  if (r.type == RedisReply::Type::kInteger)
    return static_cast<uint64_t>(std::max<int64_t>(0, r.integer));
  uint64_t value = 0;
  return absl::SimpleAtoi(r.str, &value) ? value : 0;
}

// Page tokens: a kind letter, then the last member listed (empty: start).
std::string MakeToken(char kind, std::string_view member) {
  std::string token = {'R', kind};
  token.append(member.data(), member.size());
  return token;
}

absl::Status ParseToken(std::string_view token, char kind, size_t member_bytes,
                        std::string* member) {
  member->clear();
  if (token.empty()) return absl::OkStatus();
  if (token.size() < 2 || token[0] != 'R' || token[1] != kind ||
      (token.size() != 2 && token.size() != 2 + member_bytes)) {
    return absl::InvalidArgumentError("page token is not one this tracker issued");
  }
  *member = std::string(token.substr(2));
  return absl::OkStatus();
}

}  // namespace

RedisSwarmStore::RedisSwarmStore(RedisClient& client, const RegistryLimits& limits,
                                 std::string key_tag)
    : client_(client),
      limits_(limits),
      prefix_(absl::StrCat("{", key_tag, "}:")),
      ttl_ms_(absl::ToInt64Milliseconds(2 * limits.announce_interval)) {
  announce_.sha = client_.RegisterScript(redis_scripts::kAnnounce);
  remove_.sha = client_.RegisterScript(redis_scripts::kRemove);
  rename_.sha = client_.RegisterScript(redis_scripts::kRename);
  expire_.sha = client_.RegisterScript(redis_scripts::kExpire);
  list_peers_.sha = client_.RegisterScript(redis_scripts::kListPeers);
  search_files_.sha = client_.RegisterScript(redis_scripts::kSearchFiles);
  file_peers_.sha = client_.RegisterScript(redis_scripts::kFilePeers);
}

RedisCommand RedisSwarmStore::EvalCommand(const Script& script,
                                          std::vector<std::string> args) const {
  RedisCommand command;
  command.args.reserve(args.size() + 4);
  command.args = {"EVALSHA", script.sha, "1", prefix_};
  command.key_arg = 3;
  for (std::string& a : args) command.args.push_back(std::move(a));
  return command;
}

absl::Status RedisSwarmStore::ReadReply(const RedisReply& reply) {
  if (reply.is_error()) {
    if (IsTransient(reply.str)) return absl::UnavailableError(reply.str);
    return absl::InternalError(absl::StrCat("redis: ", reply.str));
  }
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() < kPayload) {
    return absl::InternalError("redis script gave an unexpected reply");
  }
  const auto& e = reply.elements;
  peers_.store(Num(e[2]), std::memory_order_relaxed);
  files_.store(Num(e[3]), std::memory_order_relaxed);
  holdings_.store(Num(e[4]), std::memory_order_relaxed);
  return StatusFromCode(Str(e[0]), Str(e[1]));
}

absl::Status RedisSwarmStore::Eval(const Script& script, std::vector<std::string> args,
                                   RedisReply* reply) {
  const RedisCommand command = EvalCommand(script, std::move(args));
  std::vector<RedisReply> replies;
  if (absl::Status s = client_.Run({&command, 1}, &replies); !s.ok()) return s;
  *reply = std::move(replies[0]);
  return ReadReply(*reply);
}

std::vector<std::string> RedisSwarmStore::AnnounceArgs(const v1::AnnounceRequest& request,
                                                       absl::Time now, uint32_t picks) const {
  std::vector<std::string> args = {absl::StrCat(absl::ToUnixMillis(now)),
                                   absl::StrCat(ttl_ms_),
                                   absl::StrCat(limits_.max_peers),
                                   absl::StrCat(limits_.max_files_per_peer),
                                   absl::StrCat(limits_.max_files),
                                   absl::StrCat(limits_.max_holdings),
                                   IdBytes(request.peer_id()),
                                   IdBytes(request.peer_key()),
                                   request.username(),
                                   request.chunk_endpoint(),
                                   request.replace_files() ? "1" : "0",
                                   absl::StrCat(request.removed_root_hashes_size())};
  for (const std::string& r : request.removed_root_hashes()) args.push_back(r);
  args.push_back(absl::StrCat(request.files_size()));
  for (const v1::FileAvailability& f : request.files()) {
    args.push_back(f.root_hash());
    args.push_back(f.name());
    args.push_back(absl::StrCat(f.size_bytes()));
    args.push_back(absl::StrCat(f.chunk_size_bytes()));
    args.push_back(absl::StrCat(f.chunks_have()));
    args.push_back(absl::StrCat(ChunkCount(f)));
  }
  args.push_back(request.peers_for_root_hash());
  args.push_back(absl::StrCat(picks));
  return args;
}

absl::Status RedisSwarmStore::Announce(const v1::AnnounceRequest& request, absl::Time now) {
  if (absl::Status s = CheckAnnounce(request); !s.ok()) return s;
  v1::AnnounceRequest plain_request;
  const v1::AnnounceRequest* r = &request;
  if (!request.peers_for_root_hash().empty()) {
    plain_request = request;
    plain_request.clear_peers_for_root_hash();
    r = &plain_request;
  }
  RedisReply reply;
  return Eval(announce_, AnnounceArgs(*r, now, 0), &reply);
}

absl::Status RedisSwarmStore::AnnounceAndGetPeers(const v1::AnnounceRequest& request,
                                                  size_t max_bytes, absl::Time now,
                                                  v1::GetFilePeersResponse* peers,
                                                  bool* peers_found) {
  *peers_found = false;
  if (absl::Status s = CheckAnnounce(request); !s.ok()) return s;
  const std::string& root = request.peers_for_root_hash();
  if (!root.empty() && root.size() != kRootHashBytes) {
    return absl::InvalidArgumentError("root hash must be 32 bytes");
  }
  const uint32_t want = FilePeersWanted(limits_, request.max_peers());
  RedisReply reply;
  // One more pick than wanted: one may be the announcing peer.
  if (absl::Status s =
          Eval(announce_, AnnounceArgs(request, now, want == 0 ? 0 : want + 1), &reply);
      !s.ok()) {
    return s;
  }
  if (!root.empty() && reply.elements.size() > kPayload) {
    FillFilePeers(reply, kPayload, root, want, request.peer_id(), max_bytes, peers);
    *peers_found = true;
  }
  return absl::OkStatus();
}

void RedisSwarmStore::AnnounceBatch(absl::Span<AnnounceCall> calls, absl::Time now) {
  // Checks that need no state first; the rest go to Redis in one pipeline.
  std::vector<RedisCommand> commands;
  std::vector<size_t> sent;  // index in `calls` of each command
  commands.reserve(calls.size());
  sent.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    AnnounceCall& c = calls[i];
    c.peers_found = false;
    c.status = CheckAnnounce(*c.request);
    const std::string& root = c.request->peers_for_root_hash();
    if (c.status.ok() && !root.empty() && root.size() != kRootHashBytes) {
      c.status = absl::InvalidArgumentError("root hash must be 32 bytes");
    }
    if (!c.status.ok()) continue;
    const uint32_t want = FilePeersWanted(limits_, c.request->max_peers());
    // One more pick than wanted: one may be the announcing peer.
    commands.push_back(
        EvalCommand(announce_, AnnounceArgs(*c.request, now, want == 0 ? 0 : want + 1)));
    sent.push_back(i);
  }
  if (commands.empty()) return;
  std::vector<RedisReply> replies;
  if (absl::Status s = client_.Run(commands, &replies); !s.ok()) {
    for (size_t i : sent) calls[i].status = s;
    return;
  }
  for (size_t k = 0; k < sent.size(); ++k) {
    AnnounceCall& c = calls[sent[k]];
    if (k >= replies.size()) {
      c.status = absl::InternalError("redis gave fewer replies than commands");
      continue;
    }
    c.status = ReadReply(replies[k]);
    const std::string& root = c.request->peers_for_root_hash();
    if (c.status.ok() && !root.empty() && replies[k].elements.size() > kPayload) {
      FillFilePeers(replies[k], kPayload, root, FilePeersWanted(limits_, c.request->max_peers()),
                    c.request->peer_id(), c.max_bytes, c.peers);
      c.peers_found = true;
    }
  }
}

absl::Status RedisSwarmStore::Leave(uint64_t peer_id, uint64_t peer_key, absl::Time now) {
  RedisReply reply;
  return Eval(remove_,
              {absl::StrCat(absl::ToUnixMillis(now)), IdBytes(peer_id), IdBytes(peer_key), "1"},
              &reply);
}

absl::Status RedisSwarmStore::Evict(uint64_t peer_id, absl::Time now) {
  RedisReply reply;
  return Eval(remove_, {absl::StrCat(absl::ToUnixMillis(now)), IdBytes(peer_id), "", "0"}, &reply);
}

absl::Status RedisSwarmStore::Rename(uint64_t peer_id, uint64_t peer_key,
                                     std::string_view new_username, absl::Time now) {
  if (absl::Status s = ValidateUsername(new_username); !s.ok()) return s;
  RedisReply reply;
  return Eval(rename_,
              {absl::StrCat(absl::ToUnixMillis(now)), IdBytes(peer_id), IdBytes(peer_key),
               std::string(new_username)},
              &reply);
}

int RedisSwarmStore::ExpireIdle(absl::Time now) {
  int total = 0;
  for (int run = 0; run < kMaxExpireRuns; ++run) {
    RedisReply reply;
    const absl::Status s =
        Eval(expire_, {absl::StrCat(absl::ToUnixMillis(now)), absl::StrCat(kExpireBatch)}, &reply);
    if (!s.ok() || reply.elements.size() <= kPayload) return run == 0 ? -1 : total;
    const int expired = static_cast<int>(Num(reply.elements[kPayload]));
    total += expired;
    if (expired < kExpireBatch) break;
  }
  return total;
}

absl::Status RedisSwarmStore::ListPeers(const PageRequest& page, absl::Time now,
                                        google::protobuf::RepeatedPtrField<v1::PeerInfo>* out,
                                        std::string* next_token) {
  next_token->clear();
  std::string cursor;
  if (absl::Status s = ParseToken(page.token, 'p', 8, &cursor); !s.ok()) return s;
  const uint32_t want = PageSize(limits_, page.page_size);
  RedisReply reply;
  if (absl::Status s = Eval(
          list_peers_, {absl::StrCat(absl::ToUnixMillis(now)), cursor, absl::StrCat(want)}, &reply);
      !s.ok()) {
    return s;
  }
  const auto& e = reply.elements;
  if (e.size() <= kPayload) return absl::InternalError("redis script gave an unexpected reply");
  const bool more = Num(e[kPayload]) != 0;
  const int out_before = out->size();
  size_t used = 0;
  std::string last = cursor;
  size_t i = kPayload + 1;
  for (; i + 4 <= e.size(); i += 4) {
    v1::PeerInfo* info = out->Add();
    info->set_peer_id(IdFrom(Str(e[i])));
    info->set_username(Str(e[i + 1]));
    info->set_chunk_endpoint(Str(e[i + 2]));
    info->set_file_count(static_cast<uint32_t>(Num(e[i + 3])));
    const size_t bytes = RepeatedElementBytes(info->ByteSizeLong());
    // The first peer of a page is always kept, so paging always advances.
    if (out_before < out->size() - 1 && used + bytes > page.max_bytes) {
      out->RemoveLast();
      break;
    }
    used += bytes;
    last = Str(e[i]);
  }
  if (i + 4 <= e.size() || more) *next_token = MakeToken('p', last);
  return absl::OkStatus();
}

absl::Status RedisSwarmStore::SearchFiles(std::string_view query, const PageRequest& page,
                                          absl::Time now,
                                          google::protobuf::RepeatedPtrField<v1::FileSummary>* out,
                                          std::string* next_token) {
  next_token->clear();
  char lower_buf[kMaxQueryBytes];
  std::string_view lower;
  if (absl::Status s = LowerQuery(query, lower_buf, &lower); !s.ok()) return s;
  std::string cursor;
  if (absl::Status s = ParseToken(page.token, 'f', kRootHashBytes, &cursor); !s.ok()) return s;
  const uint32_t want = PageSize(limits_, page.page_size);
  RedisReply reply;
  if (absl::Status s = Eval(search_files_,
                            {absl::StrCat(absl::ToUnixMillis(now)), cursor, absl::StrCat(want),
                             std::string(lower), absl::StrCat(kMaxScanPerPage)},
                            &reply);
      !s.ok()) {
    return s;
  }
  const auto& e = reply.elements;
  if (e.size() < kPayload + 2) return absl::InternalError("redis script gave an unexpected reply");
  const bool at_end = Num(e[kPayload]) != 0;
  const int out_before = out->size();
  std::string last = cursor;
  size_t used = 0;
  size_t i = kPayload + 2;
  for (; i + 6 <= e.size(); i += 6) {
    v1::FileSummary* f = out->Add();
    f->set_root_hash(Str(e[i]));
    f->set_name(Str(e[i + 1]));
    f->set_size_bytes(Num(e[i + 2]));
    f->set_chunk_size_bytes(static_cast<uint32_t>(Num(e[i + 3])));
    f->set_seeders(static_cast<uint32_t>(Num(e[i + 4])));
    f->set_leechers(static_cast<uint32_t>(Num(e[i + 5])));
    const size_t bytes = RepeatedElementBytes(f->ByteSizeLong());
    // The first file of a page is always kept, so paging always advances.
    if (out_before < out->size() - 1 && used + bytes > page.max_bytes) {
      out->RemoveLast();
      break;
    }
    used += bytes;
    last = Str(e[i]);
  }
  if (i + 6 <= e.size()) {
    *next_token = MakeToken('f', last);  // the page filled up before the matches ran out
  } else if (!at_end) {
    *next_token = MakeToken('f', Str(e[kPayload + 1]));
  }
  return absl::OkStatus();
}

void RedisSwarmStore::FillFilePeers(const RedisReply& reply, size_t at, std::string_view root,
                                    uint32_t want, uint64_t exclude_peer_id, size_t max_bytes,
                                    v1::GetFilePeersResponse* out) const {
  const auto& e = reply.elements;
  if (e.size() < at + 5) return;
  v1::FileSummary* file = out->mutable_file();
  file->set_name(Str(e[at]));
  file->set_size_bytes(Num(e[at + 1]));
  file->set_chunk_size_bytes(static_cast<uint32_t>(Num(e[at + 2])));
  file->set_root_hash(root.data(), root.size());
  file->set_seeders(static_cast<uint32_t>(Num(e[at + 3])));
  file->set_leechers(static_cast<uint32_t>(Num(e[at + 4])));
  size_t used = RepeatedElementBytes(file->ByteSizeLong());
  uint32_t added = 0;
  for (size_t i = at + 5; i + 2 <= e.size() && added < want; i += 2) {
    const uint64_t id = IdFrom(Str(e[i]));
    if (id == exclude_peer_id) continue;
    // The record: chunks_have NUL username NUL endpoint.
    const std::string_view record = Str(e[i + 1]);
    const size_t first = record.find('\0');
    const size_t second = first == std::string_view::npos ? first : record.find('\0', first + 1);
    if (second == std::string_view::npos) continue;  // not written yet (or damaged)
    uint32_t chunks_have = 0;
    if (!absl::SimpleAtoi(absl::string_view(record.data(), first), &chunks_have)) continue;
    const std::string_view username = record.substr(first + 1, second - first - 1);
    const std::string_view endpoint = record.substr(second + 1);
    const size_t bytes = FilePeerElementBytes(username, endpoint, chunks_have);
    if (used + bytes > max_bytes) break;
    used += bytes;
    ++added;
    v1::FilePeer* fp = out->add_peers();
    fp->set_peer_id(id);
    fp->set_username(username.data(), username.size());
    fp->set_chunk_endpoint(endpoint.data(), endpoint.size());
    fp->set_chunks_have(chunks_have);
  }
}

absl::Status RedisSwarmStore::GetFilePeers(std::string_view root_hash, uint32_t max_peers,
                                           uint64_t exclude_peer_id, size_t max_bytes,
                                           absl::Time now, v1::GetFilePeersResponse* out) {
  if (root_hash.size() != kRootHashBytes) {
    return absl::InvalidArgumentError("root hash must be 32 bytes");
  }
  const uint32_t want = FilePeersWanted(limits_, max_peers);
  RedisReply reply;
  if (absl::Status s = Eval(file_peers_,
                            {absl::StrCat(absl::ToUnixMillis(now)), std::string(root_hash),
                             absl::StrCat(want == 0 ? 0 : want + 1)},
                            &reply);
      !s.ok()) {
    return s;
  }
  if (reply.elements.size() <= kPayload) {
    return absl::NotFoundError("no file with this root hash is known");
  }
  FillFilePeers(reply, kPayload, root_hash, want, exclude_peer_id, max_bytes, out);
  return absl::OkStatus();
}

}  // namespace pytorrent::tracker
