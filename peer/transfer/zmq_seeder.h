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
// (or kMaxReadsInFlight for everyone) get NO_CREDIT. Replies to one peer
// queue up to its send high-water mark (128 messages); a peer that stops
// reading gets later requests dropped unanswered (it times them out). With
// the test-only throttle, requests wait in a queue here first, under the
// same per-peer limit.
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
#include "peer/transfer/loop_worker_pool.h"
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
  // Serves throttled requests whose time has come.
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
    std::shared_ptr<SharedFd> fd;  // keeps the file open while reading
    // Filled by the reader: malloc'd bytes (null if the read failed).
    std::unique_ptr<void, FreeDeleter> buffer;
  };
  using Reader = LoopWorkerPool<Read, Read>;

  ZmqSeeder(zmq::context_t& context, zmq::socket_t socket, std::string endpoint,
            const FileCatalog& catalog, SeederOptions options);

  void Handle(const std::string& identity, zmq::message_t* frames, size_t count, absl::Time now);
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
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_ZMQ_SEEDER_H_
