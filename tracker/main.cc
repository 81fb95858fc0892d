// The PyTorrent tracker: wires the UDP loop, the request handler, the swarm
// registry and the admin plane. See --help for flags; flags override the
// key=value config file (HOME/config/tracker.conf by default).

#include <openssl/rand.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "INIReader.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "admin/admin_server.h"
#include "common/host_port.h"
#include "common/log.h"
#include "google/protobuf/stubs/logging.h"
#include "tracker/connection_id.h"
#include "tracker/redis_client.h"
#include "tracker/redis_swarm_store.h"
#include "tracker/request_handler.h"
#include "tracker/swarm_registry.h"
#include "tracker/tracker_service.h"
#include "tracker/udp_server.h"

namespace {

using pytorrent::tracker::UdpServer;

std::atomic<UdpServer*> g_server{nullptr};

void OnSignal(int) {
  if (UdpServer* server = g_server.load()) server->Stop();
}

// Upper bounds for the memory caps (file and holding indexes are 32-bit).
constexpr int64_t kMaxFilesCap = 100'000'000;
constexpr int64_t kMaxHoldingsCap = 1'000'000'000;

struct Settings {
  std::string home;
  // Every interface, IPv6 and IPv4 (one dual-stack socket).
  std::string host = "::";
  int port = 6969;
  std::string port_file;
  std::string admin_socket;
  int announce_interval_s = 60;
  std::string secret_file;
  int64_t max_peers = 1'000'000;
  int64_t max_files_per_peer = 1'000;
  int64_t max_files = 1'000'000;
  int64_t max_holdings = 10'000'000;
  std::string log_level = "info";
  std::string config;
  int connection_id_window_s = 120;
  int io_threads = 1;
  bool trust_claimed_hosts = false;
  std::string store = "memory";
  std::string redis;
  std::string redis_key_tag = "pytorrent";
  int redis_pool = 0;
  int redis_timeout_ms = 1000;
};

int Fail(const std::string& message) {
  std::cerr << "tracker: " << message << "\n";
  return 2;
}

// Reads the secret: 32 raw bytes, or 64 hex digits (surrounding whitespace
// ignored).
absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read secret file ", path));
  std::string data(129, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() == pytorrent::tracker::kSecretBytes) return data;
  absl::string_view trimmed = absl::StripAsciiWhitespace(data);
  if (trimmed.size() == 2 * pytorrent::tracker::kSecretBytes) {
    bool hex = true;
    for (char c : trimmed) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (hex) return absl::HexStringToBytes(trimmed);
  }
  return absl::InvalidArgumentError("secret file must hold 32 raw bytes or 64 hex digits");
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"PyTorrent UDP tracker"};
  app.add_option("--home", s.home, "Home folder (default $HOME/.pytorrent/tracker)");
  app.add_option("--host", s.host,
                 "Address to bind: :: is every interface, IPv6 and IPv4 (0.0.0.0 when the "
                 "machine has no IPv6); an IPv6 address may be written in [brackets]")
      ->capture_default_str();
  app.add_option("--port", s.port, "UDP port; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", s.port_file, "Write the bound UDP port here (atomically)");
  app.add_option("--admin-socket", s.admin_socket,
                 "gRPC admin Unix socket (default HOME/state/admin.sock)");
  app.add_option("--announce-interval-s", s.announce_interval_s,
                 "Peers announce this often; they expire after twice this")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--secret-file", s.secret_file,
                 "Connection-id secret (32 bytes or 64 hex digits); default: random per start");
  app.add_option("--max-peers", s.max_peers, "Cap on registered peers")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--max-files-per-peer", s.max_files_per_peer, "Cap on files one peer offers")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--max-files", s.max_files,
                 "Cap on distinct files (swarms) tracker-wide; announces adding more get CAPACITY")
      ->check(CLI::Range(int64_t{1}, kMaxFilesCap))
      ->capture_default_str();
  app.add_option("--max-holdings", s.max_holdings,
                 "Cap on (peer, file) registrations tracker-wide (sum of files over peers)")
      ->check(CLI::Range(int64_t{1}, kMaxHoldingsCap))
      ->capture_default_str();
  app.add_option("--log-level", s.log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  app.add_option("--config", s.config, "key=value config file (default HOME/config/tracker.conf)");
  app.add_option("--connection-id-window-s", s.connection_id_window_s,
                 "Connection ids live one to two windows (tests shorten this)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--io-threads", s.io_threads,
                 "Threads serving the UDP socket (they share the registry under a mutex)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_flag("--trust-claimed-hosts", s.trust_claimed_hosts,
               "List the host a peer claims in its announce (chunk_endpoint) instead of the "
               "address the announce came from; only for trusted peers behind port forwards "
               "or proxies (default: off)");
  app.add_option("--store", s.store,
                 "Where swarm state lives: memory (this process) or redis (shared by instances)")
      ->check(CLI::IsMember({"memory", "redis"}))
      ->capture_default_str();
  app.add_option("--redis", s.redis,
                 "With --store=redis: HOST:PORT[,HOST:PORT...] of the Redis server or of any "
                 "Redis Cluster nodes");
  app.add_option("--redis-key-tag", s.redis_key_tag,
                 "Names the network in Redis: instances with the same tag share peers and files")
      ->capture_default_str();
  app.add_option("--redis-pool", s.redis_pool,
                 "Connections per Redis node at most (default: io threads + 2)")
      ->check(CLI::Range(0, 256));
  app.add_option("--redis-timeout-ms", s.redis_timeout_ms,
                 "Bound on a Redis round trip; past it the request is answered TRY_AGAIN")
      ->check(CLI::Range(10, 60000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (s.home.empty()) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return Fail("--home is required when HOME is unset");
    s.home = std::string(home) + "/.pytorrent/tracker";
  }
  std::error_code ec;
  for (const char* sub : {"config", "logs", "state"}) {
    std::filesystem::create_directories(std::filesystem::path(s.home) / sub, ec);
    if (ec) return Fail(absl::StrCat("cannot create ", s.home, "/", sub, ": ", ec.message()));
  }

  // Config file values apply where no flag was given.
  const bool explicit_config = !s.config.empty();
  if (!explicit_config) s.config = s.home + "/config/tracker.conf";
  if (explicit_config || std::filesystem::exists(s.config)) {
    INIReader ini(s.config);
    if (ini.ParseError() != 0) {
      return Fail(absl::StrCat("cannot parse config ", s.config, " (line ", ini.ParseError(), ")"));
    }
    auto str = [&](const char* flag, const char* key, std::string& value) {
      if (app.count(flag) == 0) value = ini.Get("", key, value);
    };
    auto num = [&](const char* flag, const char* key, auto& value) {
      if (app.count(flag) == 0) {
        value = static_cast<std::remove_reference_t<decltype(value)>>(
            ini.GetInteger("", key, static_cast<long>(value)));
      }
    };
    str("--host", "host", s.host);
    num("--port", "port", s.port);
    str("--admin-socket", "admin_socket", s.admin_socket);
    num("--announce-interval-s", "announce_interval_s", s.announce_interval_s);
    str("--secret-file", "secret_file", s.secret_file);
    num("--max-peers", "max_peers", s.max_peers);
    num("--max-files-per-peer", "max_files_per_peer", s.max_files_per_peer);
    num("--max-files", "max_files", s.max_files);
    num("--max-holdings", "max_holdings", s.max_holdings);
    num("--io-threads", "io_threads", s.io_threads);
    str("--log-level", "log_level", s.log_level);
    if (app.count("--trust-claimed-hosts") == 0) {
      s.trust_claimed_hosts = ini.GetBoolean("", "trust_claimed_hosts", s.trust_claimed_hosts);
    }
    str("--store", "store", s.store);
    str("--redis", "redis", s.redis);
    str("--redis-key-tag", "redis_key_tag", s.redis_key_tag);
    num("--redis-pool", "redis_pool", s.redis_pool);
    num("--redis-timeout-ms", "redis_timeout_ms", s.redis_timeout_ms);
    if (s.port < 0 || s.port > 65535) return Fail("port must be 0..65535");
    if (s.announce_interval_s < 1) return Fail("announce_interval_s must be at least 1");
    if (s.max_peers < 1 || s.max_peers > 100'000'000 || s.max_files_per_peer < 1 ||
        s.max_files_per_peer > 1'000'000) {
      return Fail("max_peers must be 1..100000000 and max_files_per_peer 1..1000000");
    }
    if (s.max_files < 1 || s.max_files > kMaxFilesCap) {
      return Fail(absl::StrCat("max_files must be 1..", kMaxFilesCap));
    }
    if (s.max_holdings < 1 || s.max_holdings > kMaxHoldingsCap) {
      return Fail(absl::StrCat("max_holdings must be 1..", kMaxHoldingsCap));
    }
    if (s.io_threads < 1 || s.io_threads > 64) return Fail("io_threads must be 1..64");
    if (s.store != "memory" && s.store != "redis") return Fail("store must be memory or redis");
    if (s.redis_pool < 0 || s.redis_pool > 256) return Fail("redis_pool must be 0..256");
    if (s.redis_timeout_ms < 10 || s.redis_timeout_ms > 60000) {
      return Fail("redis_timeout_ms must be 10..60000");
    }
  }
  if (s.store == "redis" && s.redis.empty()) return Fail("--store=redis needs --redis HOST:PORT");
  if (s.redis_key_tag.empty() || s.redis_key_tag.find_first_of("{}") != std::string::npos) {
    return Fail("redis_key_tag must be non-empty and without braces");
  }
  if (s.admin_socket.empty()) s.admin_socket = s.home + "/state/admin.sock";

  if (absl::Status st =
          pytorrent::InitLogging({.file_path = s.home + "/logs/tracker.log", .level = s.log_level});
      !st.ok()) {
    return Fail(std::string(st.message()));
  }
  // Protobuf logs each invalid UTF-8 string it meets while parsing; those are
  // counted as malformed requests instead of logged one by one.
  google::protobuf::SetLogHandler(nullptr);

  std::string secret(pytorrent::tracker::kSecretBytes, '\0');
  if (!s.secret_file.empty()) {
    absl::StatusOr<std::string> read = ReadSecret(s.secret_file);
    if (!read.ok()) return Fail(std::string(read.status().message()));
    secret = *read;
  } else if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                        static_cast<int>(secret.size())) != 1) {
    return Fail("RAND_bytes failed");
  }
  // One minter and one handler per I/O thread; they share the registry.
  std::vector<std::unique_ptr<pytorrent::tracker::ConnectionIdMinter>> minters;
  for (int i = 0; i < s.io_threads; ++i) {
    auto minter = pytorrent::tracker::ConnectionIdMinter::Create(
        secret, absl::Seconds(s.connection_id_window_s));
    if (!minter.ok()) return Fail(std::string(minter.status().message()));
    minters.push_back(std::move(*minter));
  }

  uint64_t seed = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof(seed));
  const pytorrent::tracker::RegistryLimits limits{
      .max_peers = static_cast<uint32_t>(s.max_peers),
      .max_files_per_peer = static_cast<uint32_t>(s.max_files_per_peer),
      .max_files = static_cast<uint32_t>(s.max_files),
      .max_holdings = static_cast<uint64_t>(s.max_holdings),
      .announce_interval = absl::Seconds(s.announce_interval_s)};
  std::unique_ptr<pytorrent::tracker::RedisClient> redis;
  std::unique_ptr<pytorrent::tracker::SwarmStore> store;
  if (s.store == "redis") {
    auto client = pytorrent::tracker::RedisClient::Create(
        {.addresses = absl::StrSplit(s.redis, ',', absl::SkipWhitespace()),
         .pool_size = s.redis_pool > 0 ? s.redis_pool : s.io_threads + 2,
         .command_timeout = absl::Milliseconds(s.redis_timeout_ms)});
    if (!client.ok()) return Fail(std::string(client.status().message()));
    redis = std::move(*client);
    store = std::make_unique<pytorrent::tracker::RedisSwarmStore>(*redis, limits, s.redis_key_tag);
  } else {
    store = std::make_unique<pytorrent::tracker::SwarmRegistry>(limits, seed);
  }
  pytorrent::tracker::SwarmStore& registry = *store;
  std::mutex registry_mu;
  const absl::Time start = absl::Now();
  std::vector<std::unique_ptr<pytorrent::tracker::RequestHandler>> handlers;
  std::vector<pytorrent::tracker::RequestHandler*> handler_ptrs;
  for (int i = 0; i < s.io_threads; ++i) {
    // A thread-safe store (Redis) is called without the mutex, so no
    // request waits for another's round trip.
    handlers.push_back(std::make_unique<pytorrent::tracker::RequestHandler>(
        registry, *minters[i], start, registry.thread_safe() ? nullptr : &registry_mu));
    handler_ptrs.push_back(handlers.back().get());
  }
  for (auto& h : handlers) {
    h->set_stats_group({handler_ptrs.begin(), handler_ptrs.end()});
    h->set_endpoint_policy({.trust_claimed_hosts = s.trust_claimed_hosts});
  }

  auto server = UdpServer::Bind({.host = s.host, .port = static_cast<uint16_t>(s.port)});
  if (!server.ok() && s.host == "::" && app.count("--host") == 0) {
    // A machine without IPv6: the default still means every interface.
    s.host = "0.0.0.0";
    server = UdpServer::Bind({.host = s.host, .port = static_cast<uint16_t>(s.port)});
  }
  if (!server.ok()) return Fail(std::string(server.status().message()));
  pytorrent::tracker::TrackerService service(registry, registry_mu, handler_ptrs, start);

  g_server.store(server->get());
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto admin =
      pytorrent::admin::StartTrackerAdminServer(service, {.unix_socket_path = s.admin_socket});
  if (!admin.ok()) return Fail(std::string(admin.status().message()));
  // Health follows the store: NOT_SERVING while Redis cannot be reached.
  pytorrent::admin::AdminServer* admin_server = admin->get();
  service.set_on_serving_change(
      [admin_server](bool serving) { admin_server->SetServing(serving); });
  // The port file announces readiness, so it comes after the admin socket.
  if (!s.port_file.empty()) {
    if (absl::Status st = WriteFileAtomically(s.port_file, absl::StrCat((*server)->port(), "\n"));
        !st.ok()) {
      return Fail(std::string(st.message()));
    }
  }
  PT_LOG_INFO(
      "tracker listening on udp {} (announce interval {}s, max peers {}, claimed hosts {}, store "
      "{}{}), admin {}",
      pytorrent::FormatHostPort(s.host, (*server)->port()), s.announce_interval_s, s.max_peers,
      s.trust_claimed_hosts ? "trusted" : "ignored", s.store,
      s.store == "redis" ? absl::StrCat(" ", s.redis, " tag ", s.redis_key_tag) : "",
      s.admin_socket);

  std::vector<std::thread> workers;
  for (int i = 1; i < s.io_threads; ++i) {
    workers.emplace_back([&server, &service, i] { (*server)->Run(service.shard(i)); });
  }
  (*server)->Run(service.shard(0));
  for (std::thread& t : workers) t.join();
  (*admin)->Shutdown(absl::Milliseconds(500));

  g_server.store(nullptr);
  const pytorrent::tracker::HandlerCounters c = service.Counters();
  size_t peers = 0;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    peers = registry.CountPeers();  // as last seen (a shared store is not asked)
  }
  PT_LOG_INFO("tracker stopped: {} requests, {} announces, {} rejected, {} peers registered",
              c.datagrams, c.announces(), c.TotalRejects(), peers);
  spdlog::shutdown();
  return 0;
}
