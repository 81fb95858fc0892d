#ifndef PYTORRENT_TRACKER_REDIS_CLIENT_H_
#define PYTORRENT_TRACKER_REDIS_CLIENT_H_

// `RedisClient` runs batches of Redis commands, pipelined, over a bounded
// pool of hiredis connections, against one Redis server or a Redis Cluster.
//
// - Pipelining: `Run` writes every command of a batch before reading any
//   reply, so a batch costs one round trip per node it touches.
// - Cluster: each command names its key; the client sends it to the node it
//   believes owns the key's slot (CRC16 of the hash tag, as Redis Cluster
//   does) and follows MOVED (remembering the new owner) and ASK (ASKING,
//   then the command, once) redirections. On a single server there are none.
// - Scripts: `RegisterScript` returns the SHA-1 to send with EVALSHA; a
//   NOSCRIPT reply (a restarted or new node) loads the script there and
//   sends the command again.
// - Outages: a failed connect or I/O error closes the node's connections and
//   fails the batch with UNAVAILABLE at once; further batches fail fast
//   (no connect attempt) for a short backoff, then reconnect by themselves.
//   The first failure of an outage and the recovery are logged once each.
//
// Example:
//   auto client = RedisClient::Create({.addresses = {"127.0.0.1:6379"}});
//   std::vector<RedisReply> replies;
//   absl::Status s = (*client)->Run({{.args = {"INCR", "{pt}:n"}, .key_arg = 1}}, &replies);
//
// Thread-safe: Run() from any number of threads; each batch holds one pooled
// connection per node it touches, and waits (bounded) when all are in use.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

struct redisContext;
struct redisReply;

namespace pytorrent::tracker {

struct RedisClientOptions {
  // "host:port" of the server, or of any cluster nodes (seeds).
  std::vector<std::string> addresses;
  // Connections per node at most (callers beyond it wait).
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  // Bound on each read or write of a batch.
  absl::Duration command_timeout = absl::Milliseconds(1000);
  // After a failure, batches fail fast this long before the next connect
  // attempt (doubling up to max_backoff while the node stays down).
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(1);
};

// One reply, copied out of hiredis.
struct RedisReply {
  enum class Type : uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  // The bytes of a string, status or error.
  std::string str;
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
};

struct RedisCommand {
  std::vector<std::string> args;
  // Index in `args` of the key that routes the command; -1: any node.
  int key_arg = -1;
};

// The cluster slot (0..16383) of `key`: CRC16 (XMODEM) of its hash tag, the
// part between the first '{' and the next '}' when that is not empty, else
// of the whole key.
uint16_t RedisKeySlot(std::string_view key);

class RedisClient {
 public:
  // INVALID_ARGUMENT for an address that is not host:port. Connects lazily:
  // Redis need not be up yet.
  static absl::StatusOr<std::unique_ptr<RedisClient>> Create(const RedisClientOptions& options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Remembers `body` for NOSCRIPT recovery; returns its SHA-1 (hex) for
  // EVALSHA. Call before Run() is used concurrently.
  std::string RegisterScript(std::string_view body);

  // Runs `commands`, pipelined, and fills `replies` (one per command; Redis
  // errors such as a script's are replies, not failures). UNAVAILABLE when a
  // node could not be reached, or stopped answering mid-batch (then some
  // commands may have run); DEADLINE_EXCEEDED folded into UNAVAILABLE too.
  absl::Status Run(absl::Span<const RedisCommand> commands, std::vector<RedisReply>* replies);

  // False from the first failure of an outage until a batch succeeds again.
  bool serving() const { return serving_.load(std::memory_order_relaxed); }
  // Outages seen so far (each logged once).
  uint64_t outages() const { return outages_.load(std::memory_order_relaxed); }

 private:
  struct Node;
  class Lease;
  explicit RedisClient(const RedisClientOptions& options);

  // The node for `command` (slot owner, else the current seed).
  Node* Route(const RedisCommand& command);
  Node* NodeFor(const std::string& host, int port);
  // Sends `commands[indexes]` to `node` on one connection, pipelined.
  absl::Status RunOn(Node* node, absl::Span<const RedisCommand> commands,
                     absl::Span<const size_t> indexes, bool asking,
                     std::vector<RedisReply>* replies);
  // Follows a MOVED/ASK/NOSCRIPT reply of `commands[i]`: true if handled
  // (replies[i] replaced), false to keep the reply as it is.
  absl::Status Resolve(absl::Span<const RedisCommand> commands, size_t i,
                       std::vector<RedisReply>* replies);
  void NoteFailure(Node* node, std::string_view what);
  void NoteSuccess();

  RedisClientOptions options_;
  std::mutex nodes_mu_;
  std::vector<std::unique_ptr<Node>> nodes_;  // guarded by nodes_mu_ (grow only)
  std::vector<int16_t> slot_owner_;           // guarded by nodes_mu_; -1 unknown
  size_t seed_ = 0;                           // guarded by nodes_mu_
  size_t seed_count_ = 0;
  absl::flat_hash_map<std::string, std::string> scripts_;  // sha -> body
  std::atomic<bool> serving_{true};
  std::atomic<uint64_t> outages_{0};
  std::mutex outage_mu_;
  absl::Time outage_start_;  // guarded by outage_mu_
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_REDIS_CLIENT_H_
