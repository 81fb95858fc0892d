#include "tracker/swarm_registry.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/names.h"

namespace pytorrent::tracker {

namespace {

// Page tokens: a 4-byte tag naming the listing and format ("pv2\0" peers,
// "fv2\0" files), then the last key the previous page covered (peer id,
// 8 bytes little-endian; root hash, 32 bytes). Keys, not positions, so a
// page resumes after that key however the registry changed.
constexpr size_t kTokenTagBytes = 4;
constexpr std::string_view kPeerTokenTag("pv2\0", kTokenTagBytes);
constexpr std::string_view kFileTokenTag("fv2\0", kTokenTagBytes);

std::string PeerToken(uint64_t last_peer_id) {
  std::string token(kPeerTokenTag);
  for (int i = 0; i < 8; ++i) token.push_back(static_cast<char>((last_peer_id >> (8 * i)) & 0xff));
  return token;
}

// Sets `*after` to the token's peer id; leaves it empty for the first page.
absl::Status ParsePeerToken(std::string_view token, std::optional<uint64_t>* after) {
  after->reset();
  if (token.empty()) return absl::OkStatus();
  if (token.size() != kTokenTagBytes + 8 || token.substr(0, kTokenTagBytes) != kPeerTokenTag) {
    return absl::InvalidArgumentError("page token is not one this tracker issued");
  }
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i) {
    id |= uint64_t{static_cast<uint8_t>(token[kTokenTagBytes + i])} << (8 * i);
  }
  *after = id;
  return absl::OkStatus();
}

template <typename RootHash>
std::string FileToken(const RootHash& last_root) {
  std::string token(kFileTokenTag);
  token.append(reinterpret_cast<const char*>(last_root.data()), last_root.size());
  return token;
}

template <typename RootHash>
absl::Status ParseFileToken(std::string_view token, std::optional<RootHash>* after) {
  after->reset();
  if (token.empty()) return absl::OkStatus();
  if (token.size() != kTokenTagBytes + kRootHashBytes ||
      token.substr(0, kTokenTagBytes) != kFileTokenTag) {
    return absl::InvalidArgumentError("page token is not one this tracker issued");
  }
  RootHash root;
  std::memcpy(root.data(), token.data() + kTokenTagBytes, kRootHashBytes);
  *after = root;
  return absl::OkStatus();
}

// Parses "tcp://a.b.c.d:port" written canonically (so it prints back the same).
bool ParseTcp4(std::string_view endpoint, uint32_t* ip, uint16_t* port) {
  constexpr std::string_view kPrefix = "tcp://";
  if (endpoint.size() > 27 || endpoint.substr(0, kPrefix.size()) != kPrefix) return false;
  endpoint.remove_prefix(kPrefix.size());
  uint32_t value = 0;
  int part = 0;
  size_t i = 0;
  for (; part < 4; ++part) {
    size_t start = i;
    uint32_t octet = 0;
    while (i < endpoint.size() && endpoint[i] >= '0' && endpoint[i] <= '9' && i - start < 3) {
      octet = octet * 10 + static_cast<uint32_t>(endpoint[i] - '0');
      ++i;
    }
    if (i == start || octet > 255 || (i - start > 1 && endpoint[start] == '0')) return false;
    value = (value << 8) | octet;
    const char want = part < 3 ? '.' : ':';
    if (i >= endpoint.size() || endpoint[i] != want) return false;
    ++i;
  }
  std::string_view port_text = endpoint.substr(i);
  uint32_t p = 0;
  if (port_text.empty() || port_text.size() > 5 || (port_text.size() > 1 && port_text[0] == '0')) {
    return false;
  }
  for (char c : port_text) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<uint32_t>(c - '0');
  }
  if (p > 65535) return false;
  *ip = value;
  *port = static_cast<uint16_t>(p);
  return true;
}

// One page of a listing: walks keys in order from `it`, appending a message
// for each key `wanted` accepts, filled by `fill`. Stops after `want`
// messages, kMaxScanPerPage keys, or when the next message would push the
// encoded page past `max_bytes` (that key is left for the next page; the
// first message of a page is always kept, so paging always advances: every
// item is far smaller than any budget). Returns the first key not covered.
template <typename It, typename Message, typename Wanted, typename Fill>
It FillPage(It it, It end, uint32_t want, size_t max_bytes,
            google::protobuf::RepeatedPtrField<Message>* out, Wanted wanted, Fill fill) {
  size_t used = 0;
  uint32_t added = 0;
  for (uint32_t scanned = 0; it != end && added < want && scanned < kMaxScanPerPage;
       ++it, ++scanned) {
    if (!wanted(*it)) continue;
    Message* message = out->Add();
    fill(*it, message);
    const size_t bytes = RepeatedElementBytes(message->ByteSizeLong());
    if (added > 0 && used + bytes > max_bytes) {
      out->RemoveLast();
      break;
    }
    used += bytes;
    ++added;
  }
  return it;
}

}  // namespace

size_t SwarmRegistry::SlotHash::operator()(uint32_t slot) const {
  const Peer& p = (*peers)[slot];
  return by_name ? (*this)(UsernameKey{p.username}) : (*this)(PeerIdKey{p.id});
}
size_t SwarmRegistry::SlotHash::operator()(PeerIdKey key) const {
  return absl::Hash<uint64_t>()(key.id);
}
size_t SwarmRegistry::SlotHash::operator()(UsernameKey key) const {
  return absl::Hash<absl::string_view>()(absl::string_view(key.name.data(), key.name.size()));
}

SwarmRegistry::SwarmRegistry(const RegistryLimits& limits, uint64_t seed)
    : limits_(limits),
      ttl_ms_(absl::ToInt64Milliseconds(2 * limits.announce_interval)),
      rng_state_(seed ^ 0x9e3779b97f4a7c15ULL),
      peer_index_(0, SlotHash{&peers_, false}, SlotEq{&peers_, false}),
      username_index_(0, SlotHash{&peers_, true}, SlotEq{&peers_, true}) {}

uint64_t SwarmRegistry::NextRandom() {
  // splitmix64
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint32_t SwarmRegistry::FindPeer(uint64_t id) const {
  auto it = peer_index_.find(PeerIdKey{id});
  return it == peer_index_.end() ? kNone : *it;
}

uint32_t SwarmRegistry::FindUsername(std::string_view name) const {
  auto it = username_index_.find(UsernameKey{name});
  return it == username_index_.end() ? kNone : *it;
}

uint32_t SwarmRegistry::FindFile(const RootHash& root) const {
  auto it = file_index_.find(root);
  return it == file_index_.end() ? kNone : it->second;
}

uint32_t SwarmRegistry::IndexOfHolding(const Peer& peer, uint32_t file) const {
  for (uint32_t i = 0; i < peer.files.size(); ++i) {
    if (peer.files[i].file == file) return i;
  }
  return kNone;
}

void SwarmRegistry::Unlink(uint32_t slot) {
  Peer& p = peers_[slot];
  if (p.older != kNone) {
    peers_[p.older].newer = p.newer;
  } else {
    head_ = p.newer;
  }
  if (p.newer != kNone) {
    peers_[p.newer].older = p.older;
  } else {
    tail_ = p.older;
  }
  p.older = p.newer = kNone;
}

void SwarmRegistry::Touch(uint32_t slot, absl::Time now) {
  Peer& p = peers_[slot];
  if (head_ == slot || p.older != kNone) Unlink(slot);
  // Times only move forward along the list, so the head stays the oldest.
  int64_t ms = absl::ToUnixMillis(now);
  if (tail_ != kNone) ms = std::max(ms, peers_[tail_].last_seen_ms);
  p.last_seen_ms = ms;
  p.older = tail_;
  p.newer = kNone;
  if (tail_ != kNone) {
    peers_[tail_].newer = slot;
  } else {
    head_ = slot;
  }
  tail_ = slot;
}

std::vector<SwarmRegistry::Holder>& SwarmRegistry::HoldersOf(const Holding& h) {
  File& f = files_[h.file];
  return h.chunks_have >= f.chunk_count ? f.seeders : f.leechers;
}

void SwarmRegistry::AddHolding(uint32_t slot, uint32_t file, uint32_t chunks_have) {
  Peer& p = peers_[slot];
  Holding h{file, chunks_have, 0};
  std::vector<Holder>& holders = HoldersOf(h);
  h.pos = static_cast<uint32_t>(holders.size());
  holders.push_back({slot, static_cast<uint32_t>(p.files.size())});
  p.files.push_back(h);
  ++holdings_;
}

void SwarmRegistry::RemoveHolding(uint32_t slot, uint32_t index) {
  Peer& p = peers_[slot];
  const Holding h = p.files[index];
  // Swap-remove the holder from the file's vector.
  std::vector<Holder>& holders = HoldersOf(h);
  if (h.pos + 1 != holders.size()) {
    const Holder moved = holders.back();
    holders[h.pos] = moved;
    peers_[moved.peer].files[moved.holding].pos = h.pos;
  }
  holders.pop_back();
  // Swap-remove the holding from the peer's vector.
  if (index + 1 != p.files.size()) {
    const Holding last = p.files.back();
    p.files[index] = last;
    HoldersOf(last)[last.pos].holding = index;
  }
  p.files.pop_back();
  --holdings_;

  File& f = files_[h.file];
  if (f.seeders.empty() && f.leechers.empty()) {
    file_index_.erase(f.root);
    file_order_.erase(f.root);
    f.live = false;
    std::string().swap(f.name);
    std::vector<Holder>().swap(f.seeders);
    std::vector<Holder>().swap(f.leechers);
    free_files_.push_back(h.file);
  }
}

void SwarmRegistry::UpdateHolding(uint32_t slot, uint32_t index, uint32_t chunks_have) {
  Holding& h = peers_[slot].files[index];
  const File& f = files_[h.file];
  const bool was_seeder = h.chunks_have >= f.chunk_count;
  const bool is_seeder = chunks_have >= f.chunk_count;
  if (was_seeder == is_seeder) {
    h.chunks_have = chunks_have;
    return;
  }
  // Move between the seeders and leechers vectors, keeping the peer's index.
  std::vector<Holder>& from = HoldersOf(h);
  const Holder moved = from.back();
  from[h.pos] = moved;
  peers_[moved.peer].files[moved.holding].pos = h.pos;
  from.pop_back();
  Holding& again = peers_[slot].files[index];
  again.chunks_have = chunks_have;
  std::vector<Holder>& to = HoldersOf(again);
  again.pos = static_cast<uint32_t>(to.size());
  to.push_back({slot, index});
}

void SwarmRegistry::ClearEndpoint(uint32_t slot) {
  Peer& p = peers_[slot];
  if (p.endpoint.kind == PackedEndpoint::kOther) other_endpoints_.erase(p.id);
  p.endpoint = PackedEndpoint{};
}

void SwarmRegistry::SetEndpoint(uint32_t slot, std::string_view endpoint) {
  ClearEndpoint(slot);
  Peer& p = peers_[slot];
  if (endpoint.empty()) return;
  uint32_t ip = 0;
  uint16_t port = 0;
  if (ParseTcp4(endpoint, &ip, &port)) {
    p.endpoint.kind = PackedEndpoint::kTcp4;
    p.endpoint.ip_or_index = ip;
    p.endpoint.port = port;
    return;
  }
  p.endpoint.kind = PackedEndpoint::kOther;
  other_endpoints_[p.id] = std::string(endpoint);
}

std::string_view SwarmRegistry::EndpointOf(const Peer& peer, EndpointBuffer& buf) const {
  switch (peer.endpoint.kind) {
    case PackedEndpoint::kTcp4: {
      // "tcp://a.b.c.d:port" without allocating: this runs for every peer
      // listed in every reply.
      char* out = buf.data();
      auto put = [&out](std::string_view text) {
        std::memcpy(out, text.data(), text.size());
        out += text.size();
      };
      auto put_number = [&out](uint32_t v) {
        char digits[10];
        int n = 0;
        do {
          digits[n++] = static_cast<char>('0' + v % 10);
          v /= 10;
        } while (v != 0);
        while (n > 0) *out++ = digits[--n];
      };
      const uint32_t ip = peer.endpoint.ip_or_index;
      put("tcp://");
      put_number(ip >> 24);
      *out++ = '.';
      put_number((ip >> 16) & 0xff);
      *out++ = '.';
      put_number((ip >> 8) & 0xff);
      *out++ = '.';
      put_number(ip & 0xff);
      *out++ = ':';
      put_number(peer.endpoint.port);
      return std::string_view(buf.data(), static_cast<size_t>(out - buf.data()));
    }
    case PackedEndpoint::kOther: {
      auto it = other_endpoints_.find(peer.id);
      return it == other_endpoints_.end() ? std::string_view() : std::string_view(it->second);
    }
    default:
      return std::string_view();
  }
}

void SwarmRegistry::RemovePeer(uint32_t slot) {
  Peer& p = peers_[slot];
  while (!p.files.empty()) RemoveHolding(slot, static_cast<uint32_t>(p.files.size() - 1));
  Unlink(slot);
  ClearEndpoint(slot);
  peer_index_.erase(slot);
  username_index_.erase(slot);
  peer_order_.erase(p.id);
  p.id = 0;
  p.key = 0;
  std::string().swap(p.username);
  p.files.clear();
  p.files.shrink_to_fit();
  free_peers_.push_back(slot);
}

int SwarmRegistry::ExpireIdle(absl::Time now) {
  const int64_t now_ms = absl::ToUnixMillis(now);
  int expired = 0;
  while (head_ != kNone && peers_[head_].last_seen_ms + ttl_ms_ <= now_ms) {
    RemovePeer(head_);
    ++expired;
  }
  return expired;
}

absl::Status SwarmRegistry::Announce(const v1::AnnounceRequest& request, absl::Time now) {
  ExpireIdle(now);
  if (absl::Status s = CheckAnnounce(request); !s.ok()) return s;
  const int n_files = request.files_size();
  size_t new_files = 0;  // distinct files not known yet
  for (const v1::FileAvailability& f : request.files()) {
    RootHash root;
    std::memcpy(root.data(), f.root_hash().data(), kRootHashBytes);
    const uint32_t known = FindFile(root);
    if (known == kNone) ++new_files;
    if (known != kNone && (files_[known].size_bytes != f.size_bytes() ||
                           files_[known].chunk_size_bytes != f.chunk_size_bytes())) {
      return absl::InvalidArgumentError(
          "a file with this root hash is known with another size or chunk size");
    }
  }

  uint32_t slot = FindPeer(request.peer_id());
  const uint32_t name_owner = FindUsername(request.username());
  size_t files_after = 0;
  size_t files_before = 0;
  if (slot != kNone) {
    const Peer& p = peers_[slot];
    if (p.key != request.peer_key()) {
      return absl::PermissionDeniedError("peer key does not match the registered one");
    }
    if (name_owner != kNone && name_owner != slot) {
      return absl::AlreadyExistsError("username is taken by another peer");
    }
    files_before = p.files.size();
    files_after = request.replace_files() ? 0 : p.files.size();
    auto holds = [&](std::string_view root_bytes) {
      RootHash root;
      std::memcpy(root.data(), root_bytes.data(), kRootHashBytes);
      const uint32_t file = FindFile(root);
      return file != kNone && IndexOfHolding(p, file) != kNone;
    };
    if (!request.replace_files()) {
      for (const std::string& r : request.removed_root_hashes()) {
        bool re_added = false;
        for (int i = 0; i < n_files && !re_added; ++i) re_added = request.files(i).root_hash() == r;
        if (!re_added && holds(r)) --files_after;
      }
    }
    for (int i = 0; i < n_files; ++i) {
      if (request.replace_files() || !holds(request.files(i).root_hash())) ++files_after;
    }
  } else {
    if (peer_index_.size() >= limits_.max_peers) {
      return absl::ResourceExhaustedError("the tracker has reached its peer cap");
    }
    if (name_owner != kNone) return absl::AlreadyExistsError("username is taken by another peer");
    files_after = static_cast<size_t>(n_files);
  }
  if (files_after > limits_.max_files_per_peer) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a peer may offer at most ", limits_.max_files_per_peer, " files on this tracker"));
  }
  if (files_after > files_before &&
      holdings_ + (files_after - files_before) > limits_.max_holdings) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the tracker has reached its cap of ", limits_.max_holdings, " peer-file registrations"));
  }
  // New distinct files are counted before removals apply (a file this
  // announce empties is not credited), so the cap holds mid-announce too.
  if (new_files > 0 && file_index_.size() + new_files > limits_.max_files) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the tracker has reached its cap of ", limits_.max_files, " distinct files"));
  }

  // Apply.
  if (slot == kNone) {
    if (!free_peers_.empty()) {
      slot = free_peers_.back();
      free_peers_.pop_back();
    } else {
      slot = static_cast<uint32_t>(peers_.size());
      peers_.emplace_back();
    }
    Peer& p = peers_[slot];
    p.id = request.peer_id();
    p.key = request.peer_key();
    p.username = request.username();
    peer_index_.insert(slot);
    username_index_.insert(slot);
    peer_order_.insert(p.id);
  } else if (peers_[slot].username != request.username()) {
    username_index_.erase(slot);
    peers_[slot].username = request.username();
    username_index_.insert(slot);
  }
  Touch(slot, now);
  SetEndpoint(slot, request.chunk_endpoint());
  if (request.replace_files()) {
    while (!peers_[slot].files.empty()) {
      RemoveHolding(slot, static_cast<uint32_t>(peers_[slot].files.size() - 1));
    }
  }
  for (const std::string& r : request.removed_root_hashes()) {
    RootHash root;
    std::memcpy(root.data(), r.data(), kRootHashBytes);
    const uint32_t file = FindFile(root);
    if (file == kNone) continue;
    const uint32_t index = IndexOfHolding(peers_[slot], file);
    if (index != kNone) RemoveHolding(slot, index);
  }
  for (int i = 0; i < n_files; ++i) {
    const v1::FileAvailability& fa = request.files(i);
    RootHash root;
    std::memcpy(root.data(), fa.root_hash().data(), kRootHashBytes);
    uint32_t file = FindFile(root);
    if (file == kNone) {
      if (!free_files_.empty()) {
        file = free_files_.back();
        free_files_.pop_back();
      } else {
        file = static_cast<uint32_t>(files_.size());
        files_.emplace_back();
      }
      File& f = files_[file];
      f.live = true;
      f.name = fa.name();
      f.size_bytes = fa.size_bytes();
      f.chunk_size_bytes = fa.chunk_size_bytes();
      f.chunk_count = static_cast<uint32_t>((fa.size_bytes() + fa.chunk_size_bytes() - 1) /
                                            fa.chunk_size_bytes());
      f.root = root;
      file_index_.emplace(root, file);
      file_order_.insert(root);
    }
    const uint32_t index = IndexOfHolding(peers_[slot], file);
    if (index == kNone) {
      AddHolding(slot, file, fa.chunks_have());
    } else {
      UpdateHolding(slot, index, fa.chunks_have());
    }
  }
  return absl::OkStatus();
}

absl::Status SwarmRegistry::Leave(uint64_t peer_id, uint64_t peer_key, absl::Time now) {
  ExpireIdle(now);
  const uint32_t slot = FindPeer(peer_id);
  if (slot == kNone) return absl::NotFoundError("peer is not registered");
  if (peers_[slot].key != peer_key) {
    return absl::PermissionDeniedError("peer key does not match the registered one");
  }
  RemovePeer(slot);
  return absl::OkStatus();
}

absl::Status SwarmRegistry::Rename(uint64_t peer_id, uint64_t peer_key,
                                   std::string_view new_username, absl::Time now) {
  ExpireIdle(now);
  if (absl::Status s = ValidateUsername(new_username); !s.ok()) return s;
  const uint32_t slot = FindPeer(peer_id);
  if (slot == kNone) return absl::NotFoundError("peer is not registered");
  if (peers_[slot].key != peer_key) {
    return absl::PermissionDeniedError("peer key does not match the registered one");
  }
  const uint32_t owner = FindUsername(new_username);
  if (owner == slot) return absl::OkStatus();
  if (owner != kNone) return absl::AlreadyExistsError("username is taken by another peer");
  username_index_.erase(slot);
  peers_[slot].username = std::string(new_username);
  username_index_.insert(slot);
  return absl::OkStatus();
}

absl::Status SwarmRegistry::Evict(uint64_t peer_id, absl::Time now) {
  ExpireIdle(now);
  const uint32_t slot = FindPeer(peer_id);
  if (slot == kNone) return absl::NotFoundError("peer is not registered");
  RemovePeer(slot);
  return absl::OkStatus();
}

absl::Status SwarmRegistry::ListPeers(const PageRequest& page, absl::Time now,
                                      google::protobuf::RepeatedPtrField<v1::PeerInfo>* out,
                                      std::string* next_token) {
  ExpireIdle(now);
  next_token->clear();
  std::optional<uint64_t> after;
  if (absl::Status s = ParsePeerToken(page.token, &after); !s.ok()) return s;
  const auto start = after.has_value() ? peer_order_.upper_bound(*after) : peer_order_.begin();
  const uint32_t want = std::min(page.page_size == 0 ? limits_.default_page_size : page.page_size,
                                 limits_.max_page_size);
  const auto stop = FillPage(
      start, peer_order_.end(), want, page.max_bytes, out, [](uint64_t) { return true; },
      [&](uint64_t id, v1::PeerInfo* info) {
        const Peer& p = peers_[FindPeer(id)];
        info->set_peer_id(p.id);
        info->set_username(p.username);
        EndpointBuffer buf;
        const std::string_view endpoint = EndpointOf(p, buf);
        info->set_chunk_endpoint(endpoint.data(), endpoint.size());
        info->set_file_count(static_cast<uint32_t>(p.files.size()));
      });
  if (stop != peer_order_.end()) *next_token = PeerToken(*std::prev(stop));
  return absl::OkStatus();
}

void SwarmRegistry::FillSummary(const File& f, v1::FileSummary* out) const {
  out->set_name(f.name);
  out->set_size_bytes(f.size_bytes);
  out->set_chunk_size_bytes(f.chunk_size_bytes);
  out->set_root_hash(reinterpret_cast<const char*>(f.root.data()), f.root.size());
  out->set_seeders(static_cast<uint32_t>(f.seeders.size()));
  out->set_leechers(static_cast<uint32_t>(f.leechers.size()));
}

absl::Status SwarmRegistry::SearchFiles(std::string_view query, const PageRequest& page,
                                        absl::Time now,
                                        google::protobuf::RepeatedPtrField<v1::FileSummary>* out,
                                        std::string* next_token) {
  ExpireIdle(now);
  next_token->clear();
  if (query.size() > kMaxQueryBytes) return absl::InvalidArgumentError("query is too long");
  char lower_buf[kMaxQueryBytes];
  for (size_t i = 0; i < query.size(); ++i) {
    lower_buf[i] = absl::ascii_tolower(static_cast<unsigned char>(query[i]));
  }
  const std::string_view lower(lower_buf, query.size());
  std::optional<RootHash> after;
  if (absl::Status s = ParseFileToken(page.token, &after); !s.ok()) return s;
  const auto start = after.has_value() ? file_order_.upper_bound(*after) : file_order_.begin();
  const uint32_t want = std::min(page.page_size == 0 ? limits_.default_page_size : page.page_size,
                                 limits_.max_page_size);
  const auto stop = FillPage(
      start, file_order_.end(), want, page.max_bytes, out,
      [&](const RootHash& root) { return ContainsIgnoreCase(files_[FindFile(root)].name, lower); },
      [&](const RootHash& root, v1::FileSummary* summary) {
        FillSummary(files_[FindFile(root)], summary);
      });
  if (stop != file_order_.end()) *next_token = FileToken(*std::prev(stop));
  return absl::OkStatus();
}

absl::Status SwarmRegistry::GetFilePeers(std::string_view root_hash, uint32_t max_peers,
                                         uint64_t exclude_peer_id, size_t max_bytes, absl::Time now,
                                         v1::GetFilePeersResponse* out) {
  ExpireIdle(now);
  if (root_hash.size() != kRootHashBytes) {
    return absl::InvalidArgumentError("root hash must be 32 bytes");
  }
  RootHash root;
  std::memcpy(root.data(), root_hash.data(), kRootHashBytes);
  const uint32_t file = FindFile(root);
  if (file == kNone) return absl::NotFoundError("no file with this root hash is known");
  const File& f = files_[file];
  FillSummary(f, out->mutable_file());
  size_t used = RepeatedElementBytes(out->file().ByteSizeLong());
  constexpr uint32_t kMaxPicks = 65;
  const uint32_t want = std::min<uint32_t>({max_peers == 0 ? limits_.default_file_peers : max_peers,
                                            limits_.max_file_peers, kMaxPicks - 1});
  if (want == 0) return absl::OkStatus();
  // Phase 1: choose up to want + 1 candidates (one may be the excluded
  // peer), seeders first, without touching peer records; prefetch those,
  // since each lives at a random place in a table far larger than the cache.
  // Per vector: all of it from a random rotation when small, else distinct
  // random picks.
  Holder picks[kMaxPicks];
  uint32_t n_picks = 0;
  for (const std::vector<Holder>* holders : {&f.seeders, &f.leechers}) {
    const uint32_t n = static_cast<uint32_t>(holders->size());
    const uint32_t target = std::min(n, want + 1 - n_picks);
    if (target == 0) continue;
    if (n <= 2 * target) {
      const uint32_t start = static_cast<uint32_t>(NextRandom() % n);
      for (uint32_t i = 0; i < target; ++i) picks[n_picks++] = (*holders)[(start + i) % n];
    } else {
      uint32_t chosen[kMaxPicks];
      uint32_t count = 0;
      while (count < target) {
        const uint32_t candidate = static_cast<uint32_t>(NextRandom() % n);
        if (std::find(chosen, chosen + count, candidate) != chosen + count) continue;
        chosen[count++] = candidate;
        picks[n_picks++] = (*holders)[candidate];
      }
    }
  }
  for (uint32_t i = 0; i < n_picks; ++i) __builtin_prefetch(&peers_[picks[i].peer]);
  // Phase 2: add them in order until `want` or the byte budget is reached.
  // Sizes are computed here rather than by protobuf: FilePeer is peer_id
  // (fixed64, never 0), then username, chunk_endpoint (length-delimited,
  // omitted when empty) and chunks_have (varint, omitted when 0).
  uint32_t added = 0;
  for (uint32_t i = 0; i < n_picks && added < want; ++i) {
    const Peer& p = peers_[picks[i].peer];
    if (p.id == exclude_peer_id) continue;
    EndpointBuffer buf;
    const std::string_view endpoint = EndpointOf(p, buf);
    const uint32_t chunks_have = p.files[picks[i].holding].chunks_have;
    const size_t bytes = FilePeerElementBytes(p.username, endpoint, chunks_have);
    if (used + bytes > max_bytes) break;
    used += bytes;
    ++added;
    v1::FilePeer* fp = out->add_peers();
    fp->set_peer_id(p.id);
    fp->set_username(p.username);
    fp->set_chunk_endpoint(endpoint.data(), endpoint.size());
    fp->set_chunks_have(chunks_have);
  }
  return absl::OkStatus();
}

}  // namespace pytorrent::tracker
