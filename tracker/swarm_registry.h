#ifndef PYTORRENT_TRACKER_SWARM_REGISTRY_H_
#define PYTORRENT_TRACKER_SWARM_REGISTRY_H_

// `SwarmRegistry` is the in-memory `SwarmStore`, the tracker's state: registered peers, the files
// they offer (swarms, keyed by 32-byte root hash) and who holds what.
//
// Rules it enforces:
// - A peer is keyed by its public `peer_id`; every later change (announce,
//   rename, leave) must repeat the secret `peer_key` it registered with.
// - Usernames are unique across live peers.
// - A file is identified by its root hash alone: the same name with other
//   content is another file. The first announcer fixes size and chunk size.
// - A peer that has not announced for 2x the announce interval expires:
//   every call first drops expired peers (O(1) when none expired: peers sit
//   in a list ordered by last announce).
// - Caps: `max_peers`, `max_files_per_peer`, `max_files` (distinct files)
//   and `max_holdings` (peer-file pairs) (RESOURCE_EXHAUSTED past them,
//   changing nothing). Together they bound memory: see tracker/README.md.
//
// Memory: about 150 bytes per peer holding one file, hash tables included
// (measured by tests/bench/tracker_bench at 100,000 peers): compact records,
// endpoints "tcp://a.b.c.d:port" packed in 8 bytes (IPv6 endpoints, at most
// 53 bytes as the request handler builds them, are kept as text), indexes
// that store only 4-byte slots.
//
// Example:
//   SwarmRegistry registry({.announce_interval = absl::Seconds(60)}, /*seed=*/42);
//   absl::Status s = registry.Announce(request, now);
//
// Pure: time comes in as `now`, randomness from the injected seed. Not
// thread-safe; owned by one thread (the UDP loop).

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_field.h"
#include "proto/tracker.pb.h"
#include "tracker/swarm_rules.h"
#include "tracker/swarm_store.h"

namespace pytorrent::tracker {

class SwarmRegistry final : public SwarmStore {
 public:
  SwarmRegistry(const RegistryLimits& limits, uint64_t seed);
  SwarmRegistry(const SwarmRegistry&) = delete;
  SwarmRegistry& operator=(const SwarmRegistry&) = delete;

  // Registers the peer or refreshes it, applying `removed_root_hashes` then
  // `files` (after dropping every file first if `replace_files`).
  // Errors (nothing changes): INVALID_ARGUMENT (bad field, or a known root
  // hash with another size or chunk size), PERMISSION_DENIED (wrong key),
  // ALREADY_EXISTS (username held by another peer), RESOURCE_EXHAUSTED (cap).
  absl::Status Announce(const v1::AnnounceRequest& request, absl::Time now) override;

  // Removes the peer. NOT_FOUND if not registered, PERMISSION_DENIED on a
  // wrong key.
  absl::Status Leave(uint64_t peer_id, uint64_t peer_key, absl::Time now) override;

  // Changes the username. INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED,
  // ALREADY_EXISTS. Renaming to one's own name succeeds.
  absl::Status Rename(uint64_t peer_id, uint64_t peer_key, std::string_view new_username,
                      absl::Time now) override;

  // Removes the peer without a key (operator action). NOT_FOUND if absent.
  absl::Status Evict(uint64_t peer_id, absl::Time now) override;

  // Drops peers silent for 2x the announce interval; returns how many.
  int ExpireIdle(absl::Time now) override;

  // Appends a page of peers, in peer id order, to `out`; sets `next_token`
  // (empty on the last page) to the last peer id the page covered, so the
  // next page starts after it whatever changed meanwhile: a peer registered
  // for the whole listing is listed exactly once, and no peer twice. The
  // scan per page is bounded, so a page may hold fewer peers than asked.
  // INVALID_ARGUMENT for a token this registry did not make.
  absl::Status ListPeers(const PageRequest& page, absl::Time now,
                         google::protobuf::RepeatedPtrField<v1::PeerInfo>* out,
                         std::string* next_token) override;

  // Files whose name contains `query` (ASCII case-insensitive), in root hash
  // order, paged like ListPeers (the token names the last root hash
  // covered). A page may hold fewer matches than asked (the scan per page is
  // bounded); only an empty `next_token` means the end.
  absl::Status SearchFiles(std::string_view query, const PageRequest& page, absl::Time now,
                           google::protobuf::RepeatedPtrField<v1::FileSummary>* out,
                           std::string* next_token) override;

  // The file and a random subset of its holders, seeders first, leaving out
  // `exclude_peer_id`, within `max_bytes` of encoded peers.
  // INVALID_ARGUMENT (hash length), NOT_FOUND (unknown file).
  absl::Status GetFilePeers(std::string_view root_hash, uint32_t max_peers,
                            uint64_t exclude_peer_id, size_t max_bytes, absl::Time now,
                            v1::GetFilePeersResponse* out) override;

  size_t CountPeers() const override { return peer_index_.size(); }
  size_t CountFiles() const override { return file_index_.size(); }
  uint64_t CountHoldings() const override { return holdings_; }
  absl::Duration announce_interval() const override { return limits_.announce_interval; }
  const RegistryLimits& limits() const { return limits_; }

 private:
  using RootHash = std::array<uint8_t, kRootHashBytes>;
  static constexpr uint32_t kNone = UINT32_MAX;

  // Where a peer serves chunks, packed: empty, an IPv4 tcp endpoint in 6
  // bytes, or kept in `other_endpoints_`.
  struct PackedEndpoint {
    enum Kind : uint8_t { kEmpty = 0, kTcp4 = 1, kOther = 2 };
    uint8_t kind = kEmpty;
    uint16_t port = 0;
    uint32_t ip_or_index = 0;
  };
  // One file a peer holds; `pos` is its place in the file's seeders or
  // leechers vector.
  struct Holding {
    uint32_t file;
    uint32_t chunks_have;
    uint32_t pos;
  };
  struct Peer {
    uint64_t id = 0;  // 0: free slot
    uint64_t key = 0;
    int64_t last_seen_ms = 0;
    uint32_t older = kNone;  // expiry list, oldest at head_
    uint32_t newer = kNone;
    PackedEndpoint endpoint;
    std::string username;
    absl::InlinedVector<Holding, 1> files;
  };
  // A peer holding a file; `holding` indexes the peer's `files`.
  struct Holder {
    uint32_t peer;
    uint32_t holding;
  };
  struct File {
    bool live = false;
    std::string name;
    uint64_t size_bytes = 0;
    uint32_t chunk_size_bytes = 0;
    uint32_t chunk_count = 0;
    RootHash root{};
    std::vector<Holder> seeders;
    std::vector<Holder> leechers;
  };

  // Indexes that store 4-byte slots and hash the peer they point at.
  struct PeerIdKey {
    uint64_t id;
  };
  struct UsernameKey {
    std::string_view name;
  };
  struct SlotHash {
    using is_transparent = void;
    const std::deque<Peer>* peers;
    size_t operator()(uint32_t slot) const;
    size_t operator()(PeerIdKey key) const;
    size_t operator()(UsernameKey key) const;
    bool by_name;
  };
  struct SlotEq {
    using is_transparent = void;
    const std::deque<Peer>* peers;
    bool by_name;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, PeerIdKey b) const { return (*peers)[a].id == b.id; }
    bool operator()(PeerIdKey a, uint32_t b) const { return (*peers)[b].id == a.id; }
    bool operator()(uint32_t a, UsernameKey b) const { return (*peers)[a].username == b.name; }
    bool operator()(UsernameKey a, uint32_t b) const { return (*peers)[b].username == a.name; }
  };
  using SlotSet = absl::flat_hash_set<uint32_t, SlotHash, SlotEq>;

  uint32_t FindPeer(uint64_t id) const;
  uint32_t FindUsername(std::string_view name) const;
  uint32_t FindFile(const RootHash& root) const;
  void RemovePeer(uint32_t slot);
  void Touch(uint32_t slot, absl::Time now);
  void Unlink(uint32_t slot);
  std::vector<Holder>& HoldersOf(const Holding& h);
  void AddHolding(uint32_t slot, uint32_t file, uint32_t chunks_have);
  void RemoveHolding(uint32_t slot, uint32_t index);
  void UpdateHolding(uint32_t slot, uint32_t index, uint32_t chunks_have);
  void SetEndpoint(uint32_t slot, std::string_view endpoint);
  void ClearEndpoint(uint32_t slot);
  // Room for "tcp://255.255.255.255:65535".
  using EndpointBuffer = std::array<char, 32>;
  // The peer's endpoint text, formatted into `buf` or pointing into
  // `other_endpoints_`; valid until the next change.
  std::string_view EndpointOf(const Peer& peer, EndpointBuffer& buf) const;
  void FillSummary(const File& file, v1::FileSummary* out) const;
  uint32_t IndexOfHolding(const Peer& peer, uint32_t file) const;
  uint64_t NextRandom();

  RegistryLimits limits_;
  int64_t ttl_ms_;
  uint64_t rng_state_;
  std::deque<Peer> peers_;
  std::vector<uint32_t> free_peers_;
  SlotSet peer_index_;
  SlotSet username_index_;
  uint32_t head_ = kNone;  // least recently announced
  uint32_t tail_ = kNone;
  std::deque<File> files_;
  std::vector<uint32_t> free_files_;
  absl::flat_hash_map<RootHash, uint32_t> file_index_;
  absl::flat_hash_map<uint64_t, std::string> other_endpoints_;  // by peer id
  // Keys in order, for paging: a page resumes after the last key it covered.
  absl::btree_set<uint64_t> peer_order_;
  absl::btree_set<RootHash> file_order_;
  uint64_t holdings_ = 0;
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_SWARM_REGISTRY_H_
