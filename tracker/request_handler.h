#ifndef PYTORRENT_TRACKER_REQUEST_HANDLER_H_
#define PYTORRENT_TRACKER_REQUEST_HANDLER_H_

// `RequestHandler` turns one tracker datagram into at most one reply
// datagram (sans-I/O: bytes, source address and time in; bytes out).
//
// Order of checks: size (over 8192 bytes: dropped unread), parse (typed
// MALFORMED error), request kind (UNSUPPORTED), connection id for everything
// but `connect` (BAD_CONNECTION_ID, changes nothing), then the registry.
// Anti-amplification (BEP 15): until a request carries a valid connection
// id, the reply is never larger than the request: the error message is
// stripped, and if that is not enough the reply is dropped.
// Every reply fits in kMaxReplyBytes; listings are paged to fit.
//
// Addresses: an announce's chunk endpoint is rebuilt from the datagram's
// source address and the announced port (`BuildPeerEndpoint`, under the
// handler's `EndpointPolicy`) before the registry sees it. Peers listed on a
// loopback endpoint are left out of the peer lists (announce, get_file_peers)
// sent to clients that are not on loopback themselves.
//
// Hot path: the request and reply live on a reused protobuf arena, so a
// typical datagram allocates nothing.
//
// Example:
//   RequestHandler handler(registry, minter, start);
//   std::array<uint8_t, kMaxReplyBytes> out;
//   size_t n = handler.Handle(datagram, from, now, out);  // 0: send nothing
//
// Not thread-safe: one handler per I/O thread. The registry is shared
// through `registry_mu` when there are several.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "google/protobuf/arena.h"
#include "proto/tracker.pb.h"
#include "tracker/connection_id.h"
#include "tracker/peer_endpoint.h"
#include "tracker/swarm_store.h"

namespace pytorrent::tracker {

inline constexpr size_t kMaxRequestBytes = 8192;
inline constexpr size_t kMaxReplyBytes = 1200;
// BEP 15's protocol id, required in `connect`.
inline constexpr uint64_t kProtocolMagic = 0x41727101980ULL;

// Request kinds, for counters.
enum class RequestKind : uint8_t {
  kConnect,
  kAnnounce,
  kLeave,
  kListPeers,
  kSearchFiles,
  kGetFilePeers,
  kRename,
  kGetStats,
  kCount
};

// Why a datagram was refused (answered with an error or dropped).
enum class RejectKind : uint8_t {
  kOversize,
  kMalformed,
  kBadMagic,
  kUnsupported,
  kBadConnectionId,
  kAmplificationDrop,
  kInvalidArgument,
  kUsernameTaken,
  kUnknownPeer,
  kNotOwner,
  kCapacity,
  kNotFound,
  kInternal,
  // The swarm store (Redis) could not be reached: answered TRY_AGAIN.
  kStoreUnavailable,
  kCount
};

// Stable snake_case names ("bad_connection_id", ...) used in stats.
std::string_view RequestKindName(RequestKind kind);
std::string_view RejectKindName(RejectKind kind);

// A plain copy of request counters (one handler's, or a sum).
struct HandlerCounters {
  uint64_t datagrams = 0;
  uint64_t replies = 0;
  std::array<uint64_t, static_cast<size_t>(RequestKind::kCount)> requests{};
  std::array<uint64_t, static_cast<size_t>(RejectKind::kCount)> rejects{};

  uint64_t TotalRejects() const;
  uint64_t announces() const { return requests[static_cast<size_t>(RequestKind::kAnnounce)]; }
  HandlerCounters& operator+=(const HandlerCounters& other);
};

class RequestHandler {
 public:
  // `registry_mu`, when set, is held around every registry access, so
  // several handlers (one per I/O thread, each with its own minter) can
  // share one registry; parsing, MACs and encoding stay outside the lock.
  RequestHandler(SwarmStore& registry, ConnectionIdMinter& minter, absl::Time start_time,
                 std::mutex* registry_mu = nullptr);
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // Handles one datagram from `from`. Writes the reply into `out` (which
  // must hold kMaxReplyBytes) and returns its length; 0 means send nothing.
  size_t Handle(absl::Span<const uint8_t> datagram, const SourceAddress& from, absl::Time now,
                absl::Span<uint8_t> out);
  // Handles a received batch like Handle for each datagram, except that its
  // announces reach the store together (SwarmStore::AnnounceBatch: one
  // Redis round trip for all of them), under one registry lock when there
  // is one.
  struct BatchItem {
    absl::Span<const uint8_t> datagram;
    SourceAddress from;
    // At least kMaxReplyBytes; the reply's length goes to `reply_bytes`
    // (0: send nothing).
    absl::Span<uint8_t> out;
    size_t reply_bytes = 0;
  };
  void HandleBatch(absl::Span<BatchItem> batch, absl::Time now);

  // This handler's counters. Thread-safe (single-writer relaxed atomics).
  HandlerCounters counters() const;
  // Handlers whose counters `get_stats` replies sum up (this one when
  // unset). The pointed-to handlers must outlive this one.
  void set_stats_group(std::vector<const RequestHandler*> group) { group_ = std::move(group); }
  SwarmStore& registry() { return registry_; }
  // How announced endpoints are turned into listed ones (default: never
  // trust a claimed host). Set before the first Handle().
  void set_endpoint_policy(const EndpointPolicy& policy) { endpoint_policy_ = policy; }

 private:
  // A datagram between its parsing and its encoded reply.
  struct Pending {
    v1::TrackerRequest* request = nullptr;
    v1::TrackerResponse* response = nullptr;
    SourceAddress from;
    size_t datagram_bytes = 0;
    bool verified = false;
    // A verified, well-formed announce waiting for the store.
    bool announce = false;
    v1::GetFilePeersResponse* peers = nullptr;
  };
  // Parses and answers `datagram` into `p` (on the arena), except that a
  // verified announce is left for RunAnnounces (`p->announce`). False when
  // nothing is to be sent.
  bool Start(absl::Span<const uint8_t> datagram, const SourceAddress& from, absl::Time now,
             Pending* p);
  // The store work of the waiting announces, then their replies.
  void RunAnnounces(absl::Span<Pending*> announces, absl::Time now);
  // Encodes `p`'s reply into `out`; returns its length (0: send nothing).
  size_t Finish(Pending& p, absl::Span<uint8_t> out);
  // Fills `response` for a parsed request with a verified id (or connect).
  void Dispatch(const v1::TrackerRequest& request, const SourceAddress& from, absl::Time now,
                v1::TrackerResponse* response);
  // Replaces the announce's claimed endpoint with the one the tracker
  // lists. False (and `response` holds the error) if the announce is refused.
  bool RewriteEndpoint(v1::AnnounceRequest& announce, const SourceAddress& from,
                       v1::TrackerResponse* response);
  void SetError(RejectKind kind, v1::TrackerErrorCode code, std::string_view message,
                v1::TrackerResponse* response);
  void SetStatusError(const absl::Status& status, v1::TrackerErrorCode not_found_code,
                      v1::TrackerResponse* response);

  // Written by the owning thread only, read by any: relaxed atomics whose
  // increments compile to plain adds.
  struct AtomicCounters {
    std::atomic<uint64_t> datagrams{0};
    std::atomic<uint64_t> replies{0};
    std::array<std::atomic<uint64_t>, static_cast<size_t>(RequestKind::kCount)> requests{};
    std::array<std::atomic<uint64_t>, static_cast<size_t>(RejectKind::kCount)> rejects{};
  };
  static void Bump(std::atomic<uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void Reject(RejectKind kind) { Bump(counters_.rejects[static_cast<size_t>(kind)]); }
  HandlerCounters GroupCounters() const;

  SwarmStore& registry_;
  ConnectionIdMinter& minter_;
  absl::Time start_time_;
  std::mutex* registry_mu_;
  AtomicCounters counters_;
  std::vector<const RequestHandler*> group_;
  EndpointPolicy endpoint_policy_;
  std::unique_ptr<char[]> arena_block_;
  google::protobuf::Arena arena_;
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_REQUEST_HANDLER_H_
