#include "tests/tracker/redis_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/common/child_process.h"

namespace pytorrent::testing {

namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(20);
constexpr int kStartAttempts = 5;
// Polling interval of the bounded waits below, not a synchronisation.
constexpr useconds_t kPollMicros = 10'000;

// Binds a TCP socket on 127.0.0.1 (`port` 0: any), returning it, or -1.
int BindLoopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A port the OS picked that is free now (and so is port + 10000 for a
// cluster bus); 0 if none was found.
uint16_t PickPort(bool cluster) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = BindLoopback(0);
    if (fd < 0) continue;
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const uint16_t port = ntohs(addr.sin_port);
    bool ok = true;
    if (cluster) {
      const int bus = port <= 55535 ? BindLoopback(static_cast<uint16_t>(port + 10000)) : -1;
      ok = bus >= 0;
      if (bus >= 0) close(bus);
    }
    close(fd);
    if (ok) return port;
  }
  return 0;
}

std::string ReplyText(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r.str, r.len);
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> parts;
      for (size_t i = 0; i < r.elements; ++i) parts.push_back(ReplyText(*r.element[i]));
      return absl::StrJoin(parts, "\n");
    }
    default:
      return "";
  }
}

// Runs argv to completion within `timeout` (killed past it); its output goes
// to `log`. Returns the exit status.
absl::StatusOr<int> RunToCompletion(std::vector<std::string> args, const std::string& log,
                                    absl::Duration timeout) {
  absl::StatusOr<pid_t> spawned =
      SpawnChild(std::move(args), {.stdout_path = log, .stderr_path = log});
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (absl::Now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    usleep(kPollMicros);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return absl::DeadlineExceededError(absl::StrCat(args[0], " did not finish in time"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const RedisServerOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", options.dir, ": ", ec.message()));
  auto server = std::unique_ptr<RedisServer>(new RedisServer(options));
  absl::Status last = absl::UnavailableError("no free port");
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    server->port_ = PickPort(options.cluster);
    if (server->port_ == 0) continue;
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

absl::Status RedisServer::Launch() {
  std::vector<std::string> args = {options_.binary,
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   options_.dir,
                                   "--logfile",
                                   options_.dir + "/redis.log",
                                   "--daemonize",
                                   "no",
                                   "--protected-mode",
                                   "no",
                                   "--save",
                                   ""};
  if (options_.persistent) {
    args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    args.insert(args.end(), {"--appendonly", "no"});
  }
  if (options_.cluster) {
    args.insert(args.end(), {"--cluster-enabled", "yes", "--cluster-config-file",
                             options_.dir + "/nodes.conf", "--cluster-node-timeout", "5000"});
  }
  absl::StatusOr<pid_t> spawned = SpawnChild(std::move(args));
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  pid_ = pid;
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat("redis-server on port ", port_,
                                                 " exited at start with status ", status, " (see ",
                                                 options_.dir, "/redis.log)"));
    }
    // The server on the port must be the one just started: when another
    // test's redis-server took the port between PickPort and the launch,
    // ours exits (and the next attempt picks another port) while that one
    // answers PING; sharing it would mix two tests' keys.
    absl::StatusOr<std::string> info = Command("INFO server");
    if (info.ok() && info->find(absl::StrCat("\nprocess_id:", pid_, "\r")) != std::string::npos) {
      return absl::OkStatus();
    }
    usleep(kPollMicros);
  }
  Stop();
  return absl::DeadlineExceededError(absl::StrCat("redis-server on port ", port_, " not ready"));
}

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::StatusOr<std::string> RedisServer::Command(const std::string& command) const {
  timeval timeout{.tv_sec = 1, .tv_usec = 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return absl::UnavailableError("cannot connect to redis");
  }
  redisSetTimeout(c, timeout);
  std::vector<std::string> words = absl::StrSplit(command, ' ', absl::SkipEmpty());
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& w : words) {
    argv.push_back(w.data());
    lengths.push_back(w.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    redisFree(c);
    return absl::UnavailableError("redis did not answer");
  }
  std::string text = ReplyText(*reply);
  const bool error = reply->type == REDIS_REPLY_ERROR;
  freeReplyObject(reply);
  redisFree(c);
  if (error) return absl::FailedPreconditionError(text);
  return text;
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (absl::Now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    usleep(kPollMicros);
  }
  Kill();
}

absl::Status RedisServer::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("redis-server is still running");
  absl::Status last;
  const absl::Time deadline = absl::Now() + kStartTimeout;
  do {
    last = Launch();
    if (last.ok()) return last;
    usleep(50 * kPollMicros);
  } while (absl::Now() < deadline);
  return last;
}

RedisServer::~RedisServer() { Stop(); }

absl::StatusOr<std::unique_ptr<RedisCluster>> RedisCluster::Start(const std::string& dir,
                                                                  int masters) {
  auto cluster = std::unique_ptr<RedisCluster>(new RedisCluster());
  for (int i = 0; i < masters; ++i) {
    auto node = RedisServer::Start(
        {.dir = absl::StrCat(dir, "/node", i), .cluster = true, .persistent = false});
    if (!node.ok()) return node.status();
    cluster->nodes_.push_back(std::move(*node));
  }
  std::vector<std::string> args = {"/usr/bin/redis-cli", "--cluster", "create"};
  for (const std::string& a : cluster->address_list()) args.push_back(a);
  args.push_back("--cluster-yes");
  absl::StatusOr<int> created =
      RunToCompletion(args, dir + "/cluster-create.log", absl::Seconds(60));
  if (!created.ok()) return created.status();
  if (*created != 0) {
    return absl::InternalError(
        absl::StrCat("redis-cli --cluster create failed (see ", dir, "/cluster-create.log)"));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    bool ok = true;
    for (const auto& node : cluster->nodes_) {
      absl::StatusOr<std::string> info = node->Command("CLUSTER INFO");
      ok = ok && info.ok() && info->find("cluster_state:ok") != std::string::npos;
    }
    if (ok) return cluster;
    usleep(kPollMicros);
  }
  return absl::DeadlineExceededError("redis cluster did not reach cluster_state:ok");
}

std::vector<std::string> RedisCluster::address_list() const {
  std::vector<std::string> out;
  for (const auto& node : nodes_) out.push_back(node->address());
  return out;
}

std::string RedisCluster::addresses() const { return absl::StrJoin(address_list(), ","); }

}  // namespace pytorrent::testing
