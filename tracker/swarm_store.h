#ifndef PYTORRENT_TRACKER_SWARM_STORE_H_
#define PYTORRENT_TRACKER_SWARM_STORE_H_

// `SwarmStore` is what the request handler and the admin side need from
// swarm state: peers, the files they offer and who holds what. The default
// implementation is the in-memory `SwarmRegistry`; a shared store (several
// tracker instances) can implement the same interface.
//
// Implementations take `now` as a parameter (no clock of their own), and
// are not required to be thread-safe: callers serialize access, unless
// `thread_safe()` says they need not (a shared store that waits on the
// network must not be called under a lock other requests wait for).
//
// A store that lives elsewhere (Redis) may be unreachable: then any call
// returns UNAVAILABLE, changing nothing, and `serving()` is false until it
// answers again.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "google/protobuf/repeated_field.h"
#include "proto/tracker.pb.h"

namespace pytorrent::tracker {

// One page of a listing.
struct PageRequest {
  // Empty for the first page.
  std::string_view token;
  // 0: the default page size.
  uint32_t page_size = 0;
  // The listed items may take at most this many bytes of encoded protobuf
  // (as repeated fields), so a reply fits one datagram.
  size_t max_bytes = SIZE_MAX;
};

class SwarmStore {
 public:
  virtual ~SwarmStore() = default;

  // Registers the peer or refreshes it, applying `removed_root_hashes` then
  // `files` (after dropping every file first if `replace_files`).
  // Errors (nothing changes): INVALID_ARGUMENT (bad field, or a known root
  // hash with another size or chunk size), PERMISSION_DENIED (wrong key),
  // ALREADY_EXISTS (username held by another peer), RESOURCE_EXHAUSTED (cap).
  virtual absl::Status Announce(const v1::AnnounceRequest& request, absl::Time now) = 0;

  // Removes the peer. NOT_FOUND if not registered, PERMISSION_DENIED on a
  // wrong key.
  virtual absl::Status Leave(uint64_t peer_id, uint64_t peer_key, absl::Time now) = 0;

  // Changes the username. INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED,
  // ALREADY_EXISTS. Renaming to one's own name succeeds.
  virtual absl::Status Rename(uint64_t peer_id, uint64_t peer_key, std::string_view new_username,
                              absl::Time now) = 0;

  // Removes the peer without a key (operator action). NOT_FOUND if absent.
  virtual absl::Status Evict(uint64_t peer_id, absl::Time now) = 0;

  // Drops peers silent for 2x the announce interval; returns how many.
  virtual int ExpireIdle(absl::Time now) = 0;

  // Appends a page of peers to `out`; sets `next_token` (empty on the last
  // page). Tokens resume after the last item a page covered, in one key
  // order for every store (peer id as an unsigned number; root hash as
  // unsigned bytes for files), not at a position: a peer
  // registered for the whole listing is listed exactly once and none twice,
  // whatever changes between pages (proto/tracker.proto, ListPeersRequest).
  // A page always holds at least one item when any is left, whatever
  // `page.max_bytes`, so paging ends. INVALID_ARGUMENT for a token this
  // store did not make (tokens are not portable between store kinds).
  virtual absl::Status ListPeers(const PageRequest& page, absl::Time now,
                                 google::protobuf::RepeatedPtrField<v1::PeerInfo>* out,
                                 std::string* next_token) = 0;

  // Files whose name contains `query` (ASCII case-insensitive), paged like
  // ListPeers. A page may hold fewer matches than asked (the scan per page is
  // bounded); only an empty `next_token` means the end.
  virtual absl::Status SearchFiles(std::string_view query, const PageRequest& page, absl::Time now,
                                   google::protobuf::RepeatedPtrField<v1::FileSummary>* out,
                                   std::string* next_token) = 0;

  // The file and a random subset of its holders, seeders first, leaving out
  // `exclude_peer_id`, within `max_bytes` of encoded peers.
  // INVALID_ARGUMENT (hash length), NOT_FOUND (unknown file).
  virtual absl::Status GetFilePeers(std::string_view root_hash, uint32_t max_peers,
                                    uint64_t exclude_peer_id, size_t max_bytes, absl::Time now,
                                    v1::GetFilePeersResponse* out) = 0;

  // Announce, then, if it succeeded and `request.peers_for_root_hash` is
  // set, GetFilePeers for that file leaving out the announcing peer. A store
  // may do both in one step (one round trip). `*peers_found` tells whether
  // `peers` was filled (false for an unknown file). Errors are Announce's.
  virtual absl::Status AnnounceAndGetPeers(const v1::AnnounceRequest& request, size_t max_bytes,
                                           absl::Time now, v1::GetFilePeersResponse* peers,
                                           bool* peers_found) {
    *peers_found = false;
    // A malformed root (not 32 bytes) is refused before anything changes.
    if (!request.peers_for_root_hash().empty() && request.peers_for_root_hash().size() != 32) {
      return absl::InvalidArgumentError("root hash must be 32 bytes");
    }
    if (absl::Status s = Announce(request, now); !s.ok()) return s;
    if (request.peers_for_root_hash().empty()) return absl::OkStatus();
    const absl::Status s = GetFilePeers(request.peers_for_root_hash(), request.max_peers(),
                                        request.peer_id(), max_bytes, now, peers);
    *peers_found = s.ok();
    return absl::OkStatus();
  }

  // One announce of a batch (see AnnounceBatch): the request and reply
  // budget in, the status and the file's peers out.
  struct AnnounceCall {
    const v1::AnnounceRequest* request = nullptr;
    size_t max_bytes = 0;
    v1::GetFilePeersResponse* peers = nullptr;
    bool peers_found = false;
    absl::Status status;
  };
  // AnnounceAndGetPeers for each call, in order, as if one after another. A
  // store that waits on the network does them in one round trip (the
  // tracker hands it every announce of a received batch at once).
  virtual void AnnounceBatch(absl::Span<AnnounceCall> calls, absl::Time now) {
    for (AnnounceCall& c : calls) {
      c.status = AnnounceAndGetPeers(*c.request, c.max_bytes, now, c.peers, &c.peers_found);
    }
  }

  // Counts as of this store's last call (a shared store does not ask the
  // network for them).
  virtual size_t CountPeers() const = 0;
  virtual size_t CountFiles() const = 0;
  // (peer, file) pairs registered.
  virtual uint64_t CountHoldings() const = 0;
  // Peers should announce this often; they expire after twice this.
  virtual absl::Duration announce_interval() const = 0;
  // Whether concurrent calls are safe without the caller's lock.
  virtual bool thread_safe() const { return false; }
  // False while the store cannot be reached (calls return UNAVAILABLE).
  virtual bool serving() const { return true; }
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_SWARM_STORE_H_
