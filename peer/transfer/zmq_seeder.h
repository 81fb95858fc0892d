#ifndef PYTORRENT_PEER_TRANSFER_ZMQ_SEEDER_H_
#define PYTORRENT_PEER_TRANSFER_ZMQ_SEEDER_H_

// Serves manifests, bitfields and chunks on a ZeroMQ ROUTER socket.
//
// Protocol (proto/wire.proto): `Hello` is answered with `Hello`;
// `ManifestRequest` with `ManifestResponse` followed by a `Bitfield` (and
// the requester then receives `Have` for chunks this node verifies later);
// `ChunkRequest` with `ChunkData` + one raw frame: bytes already in the page
// cache are read at once (preadv2 with RWF_NOWAIT), anything that needs the
// disk is read by a reader thread (never on the loop thread: a cold read
// would stall the node's own downloads); either way into a buffer handed
// to ZeroMQ without a copy;
// `Cancel` drops a throttled request still queued here.
// Unknown files/chunks get a `Reject`. Garbage (bad frame count, unparsable
// header, unexpected kind) is counted and answered with
// REJECT_REASON_MALFORMED; a header over 64 KiB makes ZeroMQ close that
// connection (maxmsgsize) before the seeder sees it. Nothing crashes the
// seeder. More than `max_queued_per_peer` reads in progress for one peer
// (or kMaxReadsInFlight for everyone) get NO_CREDIT.
//
// Memory: every chunk is charged to a ServingBudget (serving_budget.h)
// before it is read, and released once the requester's peer has it: ZeroMQ
// freed it (written to the connection) and the connection's kernel send
// queue (SIOCOUTQ, read when the requester sends a request and every 50 ms)
// no longer holds that many bytes; or when it is dropped unsent. Counting
// the send queue matters: a kernel takes megabytes for a peer that never
// reads, which it would otherwise earn as a larger share. A chunk over the
// requester's share or over the total gets NO_CREDIT (counted, one log line
// per burst). A requester that holds bytes and drains nothing for the stall
// timeout has its connection shut down, which frees what it pinned. Replies
// to one peer queue up to a small send high-water mark (message count:
// bounds the small headers a non-reader can pin). ZMTP heartbeats close
// connections that stop answering (idle, or stuck halfway through a
// frame), and a handshake must finish in time. With the test-only throttle,
// requests wait in a queue here first, under the same per-peer limit.
//
// Example:
//   auto seeder = ZmqSeeder::Bind(context, "tcp://127.0.0.1:0", catalog, {});
//   // in the loop: poll (*seeder)->socket() and (*seeder)->reads_done_socket();
//   // then (*seeder)->OnReadable(now) / (*seeder)->OnReadsDone()
//
// Not thread-safe: owned by the node's loop thread (STYLE.md 5).

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "peer/file_catalog.h"
#include "peer/transfer/log_rate_limiter.h"
#include "peer/transfer/loop_worker_pool.h"
#include "peer/transfer/serving_budget.h"
#include "zmq.hpp"

namespace pytorrent::peer {

struct SeederOptions {
  uint64_t peer_id = 0;
  int max_queued_per_peer = 64;
  // Threads reading chunks from disk.
  int read_workers = 1;
  // Chunks already in the page cache are read on the loop thread with
  // preadv2(RWF_NOWAIT), which never waits for the disk: no thread hop for
  // the common case. Off: every read goes through the reader threads.
  bool read_cached_inline = true;
  // Bytes of chunk replies held for requesters (see above).
  ServingBudgetOptions budget;
  // ZMTP heartbeats: a PING after `heartbeat_interval` of silence, the
  // connection closed if nothing arrives within `heartbeat_timeout`
  // (libzmq answers PINGs by itself, so only dead or stuck peers go).
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration heartbeat_timeout = absl::Seconds(20);
  // A new connection must finish the ZMTP handshake within this.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Test-only fault: flip a byte of every chunk served.
  bool fault_corrupt_chunks = false;
  // Test-only: serve at most this many bytes per second (0 = unlimited).
  uint64_t throttle_bytes_per_s = 0;
};

struct SeederCounters {
  uint64_t malformed_frames = 0;
  uint64_t rejects_sent = 0;
  uint64_t chunks_served = 0;
  uint64_t bytes_served = 0;
  uint64_t manifests_served = 0;
  // ChunkRequests refused for the serving budget (answered NO_CREDIT).
  uint64_t requests_throttled = 0;
  // Requesters whose connection was shut down for draining nothing.
  uint64_t requesters_dropped = 0;
  // Chunk bytes read for requesters and not yet drained, now and at most.
  uint64_t budget_held_bytes = 0;
  uint64_t budget_peak_bytes = 0;
};

class ZmqSeeder {
 public:
  // Binds `endpoint` (IPv6 enabled: "tcp://*:P" is dual-stack).
  // UNAVAILABLE if the address is in use, INVALID_ARGUMENT otherwise.
  static absl::StatusOr<std::unique_ptr<ZmqSeeder>> Bind(zmq::context_t& context,
                                                         const std::string& endpoint,
                                                         const FileCatalog& catalog,
                                                         SeederOptions options);

  // The endpoint actually bound (port resolved).
  const std::string& endpoint() const { return endpoint_; }
  zmq::socket_t& socket() { return socket_; }
  // Readable when chunk reads have finished: then call OnReadsDone().
  zmq::socket_t& reads_done_socket() { return reader_->wake_socket(); }

  // Drains up to a batch of messages without blocking.
  void OnReadable(absl::Time now);
  // Sends the chunks the reader has finished.
  void OnReadsDone();
  // Serves throttled requests whose time has come, accounts chunks ZeroMQ
  // has written, and drops stalled requesters. Call at least every 100 ms.
  void Tick(absl::Time now);
  // True if Tick has queued work (poll with a short timeout).
  bool HasQueuedWork() const { return !queue_.empty(); }
  // Tells peers that asked for `root`'s manifest that we now hold `chunk`.
  void BroadcastHave(const Sha256Digest& root, uint32_t chunk);
  // Forgets subscribers of `root` (file no longer served).
  void Forget(const Sha256Digest& root) { subscribers_.erase(root); }

  const SeederCounters& counters() const { return counters_; }
  // Chunks being read for peers (each answered once its read finishes).
  size_t reads_in_flight() const { return reads_in_flight_; }

 private:
  // What the seeder knows of a requester's connection: the socket ZeroMQ
  // received its requests on (ZMQ_SRCFD) and that socket's peer address,
  // checked again before a stalled requester's connection is shut down or
  // its send queue is read.
  struct Requester {
    RequesterId id{};
    int fd = -1;
    std::string peer_address;
    // Chunk bytes ZeroMQ has written to this connection that its peer has
    // not acknowledged yet: they sit in the kernel's send queue and stay
    // charged to the budget (a peer that never reads would otherwise pin
    // a send buffer's worth, megabytes, beyond its share).
    int64_t unacked_bytes = 0;
  };
  class DrainInbox;
  struct Queued {
    std::string identity;
    Sha256Digest root;
    uint32_t chunk;
  };
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  // A chunk to read for a peer, and the read's outcome.
  struct Read {
    std::string identity;
    std::string root_bytes;
    uint32_t chunk = 0;
    uint64_t offset = 0;
    uint32_t length = 0;
    RequesterId requester{};
    std::shared_ptr<SharedFd> fd;  // keeps the file open while reading
    // Filled by the reader: malloc'd bytes (null if the read failed).
    std::unique_ptr<void, FreeDeleter> buffer;
  };
  using Reader = LoopWorkerPool<Read, Read>;

  ZmqSeeder(zmq::context_t& context, zmq::socket_t socket, std::string endpoint,
            const FileCatalog& catalog, SeederOptions options);

  void Handle(const std::string& identity, zmq::message_t* frames, size_t count, absl::Time now);
  // The requester behind `identity`, noting the socket `header` came in on.
  Requester& NoteRequester(const std::string& identity, zmq::message_t& header);
  // Charges a chunk to the budget; false (NO_CREDIT sent) if refused.
  bool ChargeChunk(const std::string& identity, const std::string& root_bytes, uint32_t chunk,
                   uint32_t length);
  // The requester behind `identity`, created (with a new id) if unknown.
  Requester& RequesterFor(const std::string& identity);
  // Applies the chunk bytes ZeroMQ has freed since the last call: written to
  // the connection, they stay charged until acknowledged (SettleAcks); on a
  // connection whose send queue cannot be read (ipc://) they are drained.
  void ApplyDrained(absl::Time now);
  // Releases, as drained, the unacknowledged bytes that have left
  // `requester`'s send queue; all of them (not drained) if its socket is no
  // longer the connection to its peer. `verify_peer` checks that first
  // (not needed right after a request arrived on that socket).
  void SettleAcks(Requester& requester, bool verify_peer, absl::Time now);
  // ApplyDrained and SettleAcks for everyone, then shuts down stalled
  // requesters.
  void SettleBudget(absl::Time now);
  void DropStalled(RequesterId id);
  void SendHeader(const std::string& identity, const v1::PeerMessage& message);
  void SendReject(const std::string& identity, v1::RejectReason reason, std::string text,
                  const std::string& root = {}, uint32_t chunk = 0);
  // Forgets everything about a peer that has gone.
  void DropQueued(const std::string& identity);
  // Validates a request and hands it to the reader.
  void ServeChunk(const std::string& identity, const Sha256Digest& root, uint32_t chunk);
  // Fills `read` from the page cache without blocking; false if any of it
  // would need the disk.
  static bool ReadIfCached(Read& read);
  // Sends a finished read (or its Reject); what is not sent is freed.
  void SendChunk(Read& read);
  // One request of `identity` left the queue or finished reading.
  void ReleaseQueued(const std::string& identity);

  zmq::socket_t socket_;
  std::string endpoint_;
  const FileCatalog& catalog_;
  SeederOptions options_;
  SeederCounters counters_;
  std::deque<Queued> queue_;
  // Throttled requests waiting here plus reads in progress, per peer.
  std::map<std::string, int> queued_per_peer_;
  size_t reads_in_flight_ = 0;
  std::unique_ptr<Reader> reader_;
  std::map<Sha256Digest, std::set<std::string>> subscribers_;
  double throttle_budget_bytes_ = 0;
  absl::Time last_tick_ = absl::InfinitePast();
  // The loop's latest time (SendChunk runs from callbacks without one).
  absl::Time now_ = absl::InfinitePast();
  ServingBudget budget_;
  std::shared_ptr<DrainInbox> drained_;
  std::map<std::string, Requester> requesters_;
  // The identity of each requester in requesters_.
  std::map<RequesterId, std::string> identities_;
  uint64_t next_requester_id_ = 1;
  absl::Time last_forget_sweep_ = absl::InfinitePast();
  absl::Time last_ack_sweep_ = absl::InfinitePast();
  LogRateLimiter throttle_log_{absl::Seconds(10)};
  LogRateLimiter drop_log_{absl::Seconds(10)};
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_ZMQ_SEEDER_H_
