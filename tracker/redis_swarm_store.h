#ifndef PYTORRENT_TRACKER_REDIS_SWARM_STORE_H_
#define PYTORRENT_TRACKER_REDIS_SWARM_STORE_H_

// `RedisSwarmStore` keeps swarm state in Redis (one server or a Redis
// Cluster), so several tracker instances serve one network: a peer
// announced at one instance is listed by the others.
//
// Every operation is one Lua script (see redis_scripts.h), atomic in Redis:
// ownership by peer_key, unique usernames, caps and expiry behave exactly as
// in the in-memory `SwarmRegistry` (the conformance suite in
// tests/tracker/swarm_store_conformance.cc runs against both). Checks that
// need no state run here first (swarm_rules.h). Expiry uses a sorted set
// scored by expiry time: every script drops what is due, so any instance
// (or none) may sweep. `now` comes from the caller, as in every store.
//
// All keys share the hash tag `{key_tag}`: with Redis Cluster the whole
// network's state lives in one slot (and so on one master), which is what
// keeps each multi-key script atomic; a cluster places several networks
// (tags) on different masters. See tracker/README.md for the trade-off.
//
// Redis unreachable: every call returns UNAVAILABLE, changing nothing here
// (a script Redis ran before the connection broke has run), and serving()
// is false until a call succeeds again; the client reconnects by itself.
//
// Example:
//   auto client = RedisClient::Create({.addresses = {"127.0.0.1:6379"}});
//   RedisSwarmStore store(**client, {.announce_interval = absl::Seconds(60)});
//   absl::Status s = store.Announce(request, absl::Now());
//
// Thread-safe (thread_safe() is true): calls may run concurrently on any
// threads; each holds one pooled connection for its round trip.

#include <atomic>
#include <string>

#include "tracker/redis_client.h"
#include "tracker/swarm_rules.h"
#include "tracker/swarm_store.h"

namespace pytorrent::tracker {

class RedisSwarmStore final : public SwarmStore {
 public:
  // `client` must outlive the store. `key_tag` names the network: instances
  // sharing it share state.
  RedisSwarmStore(RedisClient& client, const RegistryLimits& limits,
                  std::string key_tag = "pytorrent");

  absl::Status Announce(const v1::AnnounceRequest& request, absl::Time now) override;
  absl::Status AnnounceAndGetPeers(const v1::AnnounceRequest& request, size_t max_bytes,
                                   absl::Time now, v1::GetFilePeersResponse* peers,
                                   bool* peers_found) override;
  // Every announce in one pipelined round trip (one script run each).
  void AnnounceBatch(absl::Span<AnnounceCall> calls, absl::Time now) override;
  absl::Status Leave(uint64_t peer_id, uint64_t peer_key, absl::Time now) override;
  absl::Status Rename(uint64_t peer_id, uint64_t peer_key, std::string_view new_username,
                      absl::Time now) override;
  absl::Status Evict(uint64_t peer_id, absl::Time now) override;
  // Drops every peer due (in bounded script runs); -1 when Redis is down.
  int ExpireIdle(absl::Time now) override;
  absl::Status ListPeers(const PageRequest& page, absl::Time now,
                         google::protobuf::RepeatedPtrField<v1::PeerInfo>* out,
                         std::string* next_token) override;
  absl::Status SearchFiles(std::string_view query, const PageRequest& page, absl::Time now,
                           google::protobuf::RepeatedPtrField<v1::FileSummary>* out,
                           std::string* next_token) override;
  absl::Status GetFilePeers(std::string_view root_hash, uint32_t max_peers,
                            uint64_t exclude_peer_id, size_t max_bytes, absl::Time now,
                            v1::GetFilePeersResponse* out) override;

  size_t CountPeers() const override { return peers_.load(std::memory_order_relaxed); }
  size_t CountFiles() const override { return files_.load(std::memory_order_relaxed); }
  uint64_t CountHoldings() const override { return holdings_.load(std::memory_order_relaxed); }
  absl::Duration announce_interval() const override { return limits_.announce_interval; }
  bool thread_safe() const override { return true; }
  bool serving() const override { return client_.serving(); }

 private:
  struct Script {
    std::string sha;
  };
  // Runs one script; on success `reply` holds its array and the counts are
  // taken from it. The status is the script's code (or UNAVAILABLE).
  absl::Status Eval(const Script& script, std::vector<std::string> args, RedisReply* reply);
  // The EVALSHA command of `script` with `args`.
  RedisCommand EvalCommand(const Script& script, std::vector<std::string> args) const;
  // A script's reply: its status (or UNAVAILABLE for a transient Redis
  // error); the counts are taken from it.
  absl::Status ReadReply(const RedisReply& reply);
  std::vector<std::string> AnnounceArgs(const v1::AnnounceRequest& request, absl::Time now,
                                        uint32_t picks) const;
  // Fills `out` from a file-peers payload starting at `at`.
  void FillFilePeers(const RedisReply& reply, size_t at, std::string_view root, uint32_t want,
                     uint64_t exclude_peer_id, size_t max_bytes,
                     v1::GetFilePeersResponse* out) const;

  RedisClient& client_;
  RegistryLimits limits_;
  std::string prefix_;
  int64_t ttl_ms_;
  Script announce_, remove_, rename_, expire_, list_peers_, search_files_, file_peers_;
  std::atomic<size_t> peers_{0};
  std::atomic<size_t> files_{0};
  std::atomic<uint64_t> holdings_{0};
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_REDIS_SWARM_STORE_H_
