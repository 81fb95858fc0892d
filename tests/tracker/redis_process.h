#ifndef PYTORRENT_TESTS_TRACKER_REDIS_PROCESS_H_
#define PYTORRENT_TESTS_TRACKER_REDIS_PROCESS_H_

// Real `redis-server` processes for tests (Debian's /usr/bin/redis-server):
// on 127.0.0.1 ports the OS picked (a port is taken from a bound socket,
// released, and passed to Redis; a start that loses the port to another test
// is retried on a new one), files in a folder under $TEST_TMPDIR, no
// persistence unless asked, stopped by PID (SIGTERM, then SIGKILL) when
// destroyed. The child dies with its parent.
//
// Example:
//   auto redis = RedisServer::Start({.dir = TestDir("redis")});
//   ASSERT_TRUE(redis.ok()) << redis.status();
//   RedisClient::Create({.addresses = {(*redis)->address()}});
//
//   auto cluster = RedisCluster::Start(TestDir("cluster"), /*masters=*/3);

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pytorrent::testing {

struct RedisServerOptions {
  // Working folder (created): logs, and the data files when persistent.
  std::string dir;
  // A Redis Cluster node (cluster-enabled; its bus port is port + 10000).
  bool cluster = false;
  // Append-only file, fsynced on every write: what a reply acknowledged
  // survives a SIGKILL. Off: nothing is written to disk.
  bool persistent = false;
  std::string binary = "/usr/bin/redis-server";
};

class RedisServer {
 public:
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const RedisServerOptions& options);
  ~RedisServer();

  uint16_t port() const { return port_; }
  std::string address() const;
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // SIGKILL, then reaps it (an outage: no shutdown work).
  void Kill();
  // SIGTERM, bounded wait, then SIGKILL.
  void Stop(absl::Duration timeout = absl::Seconds(10));
  // Starts it again on the same port and folder (after Kill or Stop);
  // retries while the port is still being released.
  absl::Status Restart();
  // Sends one command (words split by spaces) and returns the reply as text
  // (strings, status, integers; arrays joined by newlines).
  absl::StatusOr<std::string> Command(const std::string& command) const;

 private:
  explicit RedisServer(const RedisServerOptions& options) : options_(options) {}
  absl::Status Launch();

  RedisServerOptions options_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A Redis Cluster of `masters` nodes (no replicas), created with
// `redis-cli --cluster create ... --cluster-yes`, ready (cluster_state:ok on
// every node) when Start returns.
class RedisCluster {
 public:
  static absl::StatusOr<std::unique_ptr<RedisCluster>> Start(const std::string& dir,
                                                             int masters = 3);
  // "host:port,host:port,...": every node.
  std::string addresses() const;
  std::vector<std::string> address_list() const;
  RedisServer& node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_TRACKER_REDIS_PROCESS_H_
