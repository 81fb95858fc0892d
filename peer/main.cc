// The PyTorrent peer node: wires the real tracker client, the node (seeder,
// downloads, shared folder) and the admin plane, then waits for a signal.
// See --help for flags; flags override HOME/config/config.txt.

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "admin/admin_server.h"
#include "common/host_port.h"
#include "common/log.h"
#include "common/sha256.h"
#include "peer/chunk_listen.h"
#include "peer/content/chunk_digest.h"
#include "peer/failover_tracker_client.h"
#include "peer/home_lock.h"
#include "peer/node_identity.h"
#include "peer/peer_config.h"
#include "peer/peer_node.h"
#include "peer/storage/atomic_file.h"
#include "peer/tracker_client.h"

namespace {

using pytorrent::peer::PeerConfig;
using pytorrent::peer::PeerNode;

// A start-up failure: one line naming the problem, exit code 1.
int Fail(const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "peer: " << line << "\n";
  return 1;
}

// True once a SIGINT/SIGTERM has arrived (they are blocked in every thread
// and taken here). Remembered: the one signal that ends a --download wait
// also ends --keep-running and every later wait.
bool SignalPending(absl::Duration wait) {
  static bool received = false;
  if (received) return true;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  timespec ts = absl::ToTimespec(wait);
  received = sigtimedwait(&set, nullptr, &ts) > 0;
  return received;
}

const char* StateName(pytorrent::v1::DownloadState state) {
  switch (state) {
    case pytorrent::v1::DOWNLOAD_STATE_COMPLETED:
      return "COMPLETED";
    case pytorrent::v1::DOWNLOAD_STATE_FAILED:
      return "FAILED";
    case pytorrent::v1::DOWNLOAD_STATE_CANCELLED:
      return "CANCELLED";
    default:
      return "INTERRUPTED";
  }
}

// Scripting aid behind --download: starts the download, waits for its end,
// prints one JSON line. Returns the exit code.
int RunDownload(PeerNode& node, const std::string& what, bool overwrite) {
  pytorrent::v1::StartDownloadRequest request;
  pytorrent::Sha256Digest root{};
  if (pytorrent::DigestFromHex(what, root)) {
    request.set_root_hash(pytorrent::DigestToBytes(root));
  } else {
    request.set_name(what);
  }
  request.set_overwrite(overwrite);
  absl::StatusOr<uint64_t> id;
  absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (true) {
    id = node.StartDownload(request);
    if (id.ok() || absl::Now() > give_up ||
        !(absl::IsNotFound(id.status()) || absl::IsUnavailable(id.status()))) {
      break;
    }
    if (SignalPending(absl::Milliseconds(500))) return 1;
  }
  if (!id.ok()) {
    std::cerr << "peer: download " << what << ": " << id.status() << "\n";
    return 1;
  }
  uint64_t version = 0;
  pytorrent::peer::DownloadSnapshot snapshot;
  while (true) {
    absl::StatusOr<pytorrent::peer::DownloadSnapshot> next =
        node.AwaitDownloadChange(*id, version, absl::Now() + absl::Milliseconds(200));
    if (!next.ok()) return 1;
    snapshot = *next;
    version = snapshot.version;
    if (pytorrent::peer::IsTerminalDownloadState(snapshot.progress.state())) break;
    if (SignalPending(absl::ZeroDuration()) || node.stop_requested()) break;
  }
  pytorrent::peer::DownloadCounters counters;
  if (auto c = node.GetDownloadCounters(*id); c.ok()) counters = *c;
  const auto& p = snapshot.progress;
  // From the request to verified completion, as measured by the node.
  double seconds = counters.seconds;
  uint32_t banned = 0;
  for (const auto& peer : p.peers()) banned += peer.banned() ? 1 : 0;
  std::string error = p.error();
  for (char& c : error) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  std::cout << absl::StrCat("{\"download_id\":", *id, ",\"state\":\"", StateName(p.state()),
                            "\",\"path\":\"", p.path(), "\",\"sha256\":\"",
                            pytorrent::BytesToHex(p.file_sha256()), "\",\"bytes\":", p.size_bytes(),
                            ",\"chunk_count\":", p.chunk_count(),
                            ",\"chunks_fetched\":", counters.chunks_fetched,
                            ",\"chunks_resumed\":", counters.chunks_resumed,
                            ",\"chunks_corrupt\":", counters.chunks_corrupt,
                            ",\"chunks_duplicate\":", counters.chunks_duplicate,
                            ",\"chunks_repaired\":", counters.chunks_repaired,
                            ",\"bytes_received\":", counters.bytes_received,
                            ",\"banned_peers\":", banned, ",\"seconds\":", seconds, ",\"error\":\"",
                            error, "\"}")
            << std::endl;
  return p.state() == pytorrent::v1::DOWNLOAD_STATE_COMPLETED ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Chunk buffers (256 KiB by default, up to 16 MiB) are allocated and freed
  // thousands of times a second, on different threads (received by ZeroMQ's
  // I/O thread, freed after the verifier writes them; read by the seeder,
  // freed after ZeroMQ sends them). With glibc's defaults each one is a
  // fresh mmap or a freshly trimmed heap page: page faults and zeroing on
  // every chunk. Serving them from the heap and keeping freed memory for
  // reuse bounds the cost at the peak number of buffers in flight, which
  // the credit windows already bound.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  std::vector<std::string> trackers;
  std::string home, username, chunk_listen, admin_socket, log_level = "info", config_path;
  std::string chunk_public_endpoint;
  std::string download;
  uint32_t announce_interval_s = 0, chunk_size_kib = 0, serve_budget_mib = 0;
  uint32_t download_history = 0;
  bool no_reseed = false, overwrite = false, fault_corrupt = false, keep_running = false;
  uint64_t fault_throttle_kib_s = 0;
  int request_timeout_ms = 0;
  CLI::App app{"PyTorrent peer node: shares user/shared_files, downloads into user/downloads"};
  app.footer(
      "Stopping: one SIGTERM or SIGINT stops every mode (also --download with --keep-running)\n"
      "within a few seconds; leaving the tracker is given at most 1 s.\n"
      "Exit codes:\n"
      "  0    stopped by a signal or Disconnect, or --download completed and verified\n"
      "  1    --download did not complete (failed, cancelled, interrupted), or another\n"
      "       node already runs on this home\n"
      "  2    start-up error (config, folders, chunk endpoint, admin server), one line on "
      "stderr\n"
      "  100+ the command line did not parse (CLI11's codes)");
  app.add_option("--home", home, "Home folder (default $HOME/.pytorrent/node)");
  app.add_option("--tracker", trackers,
                 "Tracker HOST:PORT, an IPv6 host in brackets: [2001:db8::1]:6969 "
                 "(config: tracker_host, tracker_port). Repeat it (or separate with commas) "
                 "for several instances of one tracker network: the peer announces to one and "
                 "fails over to the next when it stops answering; a name resolving to several "
                 "addresses is several instances")
      ->delimiter(',')
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--username", username, "Name shown to other peers (config: username)");
  app.add_option("--chunk-public-endpoint", chunk_public_endpoint,
                 "tcp://HOST:PORT where others reach this node through a port forward or a "
                 "proxy: its port is announced, its host listed by trackers run with "
                 "--trust-claimed-hosts (config: chunk_public_endpoint)");
  app.add_option("--chunk-listen", chunk_listen,
                 "ZeroMQ endpoint serving chunks; port 0 picks one (default tcp://*:6881: every "
                 "interface, IPv6 and IPv4, any free port if 6881 is taken)");
  app.add_option("--admin-socket", admin_socket,
                 "gRPC admin socket (default HOME/state/admin.sock)");
  app.add_option("--announce-interval-s", announce_interval_s, "Announce to the tracker this often")
      ->check(CLI::Range(pytorrent::peer::kMinAnnounceIntervalS,
                         pytorrent::peer::kMaxAnnounceIntervalS));
  app.add_option("--chunk-size-kib", chunk_size_kib,
                 "Chunk size for files this node shares: power of two, 16..16384 (default 256)");
  app.add_option("--serve-budget-mib", serve_budget_mib,
                 "Memory for chunk replies being served, all requesters together; requests "
                 "beyond it are refused (NO_CREDIT) (config: serve_budget_mib, default 128)")
      ->check(CLI::Range(pytorrent::peer::kMinServeBudgetMib, pytorrent::peer::kMaxServeBudgetMib));
  app.add_option("--download-history", download_history,
                 "Finished downloads listed by the admin plane (default 100; logs/download.log "
                 "keeps them all)")
      ->check(
          CLI::Range(pytorrent::peer::kMinDownloadHistory, pytorrent::peer::kMaxDownloadHistory));
  app.add_flag("--no-reseed", no_reseed, "Do not serve or announce completed downloads");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  app.add_option("--config", config_path, "key=value config (default HOME/config/config.txt)");
  app.add_option("--download", download,
                 "Scripting aid: download ROOT_HEX or NAME at start, print one JSON line, exit "
                 "0 when completed and verified, 1 otherwise");
  app.add_flag("--overwrite", overwrite, "With --download: replace an existing file");
  app.add_flag("--keep-running", keep_running,
               "With --download: keep serving after the download ends (until a signal)");
  app.add_option("--request-timeout-ms", request_timeout_ms,
                 "Chunk request timeout before asking another peer (default 8000)")
      ->check(CLI::Range(100, 600000));
  std::string chunk_hash_engine = "auto";
  app.add_option("--chunk-hash-engine", chunk_hash_engine,
                 "How chunk digests are computed: auto (multi-buffer libipsec-mb when the CPU "
                 "allows, else OpenSSL) or openssl (one block at a time); same digests either way")
      ->check(CLI::IsMember({"auto", "openssl"}))
      ->capture_default_str();
  app.add_flag("--fault-corrupt-chunks", fault_corrupt,
               "TEST ONLY: corrupt every chunk this node serves");
  app.add_option("--fault-throttle-kib-s", fault_throttle_kib_s,
                 "TEST ONLY: serve at most this many KiB/s");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; a bad flag is a start-up failure (exit 1).
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (chunk_hash_engine == "openssl") {
    pytorrent::peer::ChunkDigester::SetProcessDefault(
        pytorrent::peer::ChunkDigester::Engine::kOpenSsl);
  }

  if (home.empty()) {
    const char* env = std::getenv("HOME");
    if (env == nullptr || *env == '\0') return Fail("--home is required when HOME is unset");
    home = std::string(env) + "/.pytorrent/node";
  }
  std::error_code ec;
  std::filesystem::create_directories(home + "/config", ec);
  if (ec) return Fail(absl::StrCat("cannot create ", home, "/config: ", ec.message()));
  std::filesystem::create_directories(home + "/state", ec);
  if (ec) return Fail(absl::StrCat("cannot create ", home, "/state: ", ec.message()));
  // One node per home, held until exit (the kernel releases it on any death).
  absl::StatusOr<pytorrent::peer::HomeLock> home_lock =
      pytorrent::peer::HomeLock::Acquire(home + "/state/node.lock");
  if (!home_lock.ok()) {
    std::cerr << "peer: " << home_lock.status().message() << "\n";
    return absl::IsFailedPrecondition(home_lock.status()) ? 1 : 2;
  }
  // The same peer id and key on every start: the tracker then takes a
  // restarted node's announce as a refresh of its own registration.
  absl::StatusOr<pytorrent::peer::NodeIdentity> identity =
      pytorrent::peer::LoadOrCreateNodeIdentity(home + "/state/identity", [] {
        std::random_device device;
        return (uint64_t{device()} << 32) | device();
      });
  if (!identity.ok()) return Fail(std::string(identity.status().message()));
  bool explicit_config = !config_path.empty();
  if (!explicit_config) config_path = home + "/config/config.txt";
  PeerConfig config;
  absl::StatusOr<std::string> text = pytorrent::peer::ReadSmallFile(config_path, 1 << 20);
  if (text.ok()) {
    absl::StatusOr<PeerConfig> parsed = pytorrent::peer::ParsePeerConfig(*text);
    if (!parsed.ok()) return Fail(absl::StrCat(config_path, ": ", parsed.status().message()));
    config = *parsed;
  } else if (explicit_config || !absl::IsNotFound(text.status())) {
    return Fail(absl::StrCat("config: ", text.status().message()));
  } else if (absl::Status s = pytorrent::peer::WriteFileAtomically(
                 config_path, pytorrent::peer::FormatPeerConfig(config));
             !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (!trackers.empty()) {
    if (trackers.size() > pytorrent::peer::kMaxTrackerAddresses) {
      return Fail(
          absl::StrCat("--tracker: at most ", pytorrent::peer::kMaxTrackerAddresses, " addresses"));
    }
    config.tracker_fallbacks.clear();
    for (size_t i = 0; i < trackers.size(); ++i) {
      absl::StatusOr<pytorrent::HostPort> address = pytorrent::ParseHostPort(trackers[i]);
      if (!address.ok()) return Fail(absl::StrCat("--tracker: ", address.status().message()));
      if (i == 0) {
        config.tracker_host = address->host;
        config.tracker_port = address->port;
      } else {
        config.tracker_fallbacks.push_back(*std::move(address));
      }
    }
    config.tracker_configured = true;
  }
  if (!username.empty()) config.username = username;
  if (!chunk_listen.empty()) config.chunk_listen = chunk_listen;
  if (!chunk_public_endpoint.empty()) {
    if (pytorrent::peer::ForAnnounce(chunk_public_endpoint).chunk_port == 0) {
      return Fail("--chunk-public-endpoint must be tcp://HOST:PORT with a port 1..65535");
    }
    config.chunk_public_endpoint = chunk_public_endpoint;
  }
  if (announce_interval_s != 0) config.announce_interval_s = announce_interval_s;
  if (chunk_size_kib != 0) config.chunk_size_kib = chunk_size_kib;
  if (serve_budget_mib != 0) config.serve_budget_mib = serve_budget_mib;
  if (no_reseed) config.reseed = false;
  if (download_history != 0) config.download_history = download_history;
  if (!admin_socket.empty()) config.admin_socket = admin_socket;

  std::filesystem::create_directories(home + "/logs", ec);
  if (absl::Status s =
          pytorrent::InitLogging({.file_path = home + "/logs/peer.log", .level = log_level});
      !s.ok()) {
    return Fail(std::string(s.message()));
  }

  // Signals are taken with sigtimedwait; block them before threads start.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A write past a file size limit (RLIMIT_FSIZE) fails with EFBIG and is
  // reported like a full disk; the default action would kill the node.
  signal(SIGXFSZ, SIG_IGN);

  pytorrent::peer::TrackerClientOptions tracker_options;
  tracker_options.host = config.tracker_host;
  tracker_options.port = config.tracker_port;
  // 7 retries, waits 0.3, 0.6, then 1.2 s each (8.1 s in all): a request
  // through 30% loss each way fails about once in 200 (0.51^8), and a dead
  // tracker is reported within seconds.
  tracker_options.initial_timeout = absl::Milliseconds(300);
  tracker_options.max_retries = 7;
  tracker_options.max_timeout = absl::Milliseconds(1200);
  // Every configured instance, and every address each name resolves to;
  // one address gives the plain client.
  std::vector<pytorrent::HostPort> tracker_addresses = {
      {.host = config.tracker_host, .port = config.tracker_port}};
  tracker_addresses.insert(tracker_addresses.end(), config.tracker_fallbacks.begin(),
                           config.tracker_fallbacks.end());
  auto client = pytorrent::peer::CreateTrackerClient(tracker_addresses, tracker_options);
  if (!client.ok()) return Fail(absl::StrCat("tracker: ", client.status().message()));

  pytorrent::peer::PeerNodeOptions options;
  options.home = home;
  options.config = config;
  options.config_path = config_path;
  options.download_history = config.download_history;
  // UpdateSettings switches trackers at once with a client made like this one.
  // (A name resolving to several addresses fails over between them there too.)
  options.tracker_factory = [tracker_options](const std::string& host, uint16_t port) {
    return pytorrent::peer::CreateTrackerClient({{.host = host, .port = port}}, tracker_options);
  };
  options.peer_id = identity->peer_id;
  options.peer_key = identity->peer_key;
  options.fault_corrupt_chunks = fault_corrupt;
  options.fault_throttle_bytes_per_s = fault_throttle_kib_s * 1024;
  if (request_timeout_ms > 0) {
    options.scheduler.request_timeout = absl::Milliseconds(request_timeout_ms);
  }
  auto node = PeerNode::Start(options, *std::move(client));
  if (!node.ok()) return Fail(std::string(node.status().message()));
  pytorrent::admin::AdminServerOptions admin_options;
  admin_options.unix_socket_path =
      config.admin_socket.empty() ? home + "/state/admin.sock" : config.admin_socket;
  if (!config.admin_tcp.empty()) {
    admin_options.tcp_address = config.admin_tcp;
    admin_options.tls_cert_file = config.admin_tls_cert;
    admin_options.tls_key_file = config.admin_tls_key;
    if (!config.admin_token_file.empty()) {
      absl::StatusOr<std::string> token =
          pytorrent::peer::ReadSmallFile(config.admin_token_file, 4096);
      if (!token.ok()) return Fail(absl::StrCat("admin token: ", token.status().message()));
      std::string t = *token;
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
      admin_options.token = t;
    }
  }
  auto admin = pytorrent::admin::StartPeerAdminServer(**node, admin_options);
  if (!admin.ok()) {
    (*node)->Stop();
    return Fail(absl::StrCat("admin server: ", admin.status().message()));
  }
  // The admin socket is up first, so the CLI can reach a node that is still
  // hashing its shared folder or waiting for a slow tracker; the chunk
  // endpoint file, written once the first scan is announced, is the
  // readiness mark scripts and tests wait for.
  if (absl::Status s = (*node)->WaitReady(absl::Seconds(20)); !s.ok()) {
    PT_LOG_WARN("starting without a complete first scan/announce: {}", s.ToString());
  }
  if (absl::Status s = pytorrent::peer::WriteFileAtomically(home + "/state/chunk_endpoint",
                                                            (*node)->chunk_endpoint() + "\n");
      !s.ok()) {
    return Fail(std::string(s.message()));
  }

  int code = 0;
  if (!download.empty()) code = RunDownload(**node, download, overwrite);
  if (download.empty() || keep_running) {
    while (!(*node)->stop_requested() && !SignalPending(absl::Milliseconds(200))) {
    }
  }
  (*admin)->Shutdown(absl::Seconds(2));
  (*node)->Stop();
  pytorrent::peer::SeederCounters served = (*node)->GetSeederCounters();
  // Counters for scripts and tests, written at every clean exit.
  (void)pytorrent::peer::WriteFileAtomically(
      home + "/state/counters.json",
      absl::StrCat("{\"chunks_served\":", served.chunks_served, ",\"bytes_served\":",
                   served.bytes_served, ",\"manifests_served\":", served.manifests_served,
                   ",\"malformed_frames\":", served.malformed_frames, ",\"rejects_sent\":",
                   served.rejects_sent, ",\"requests_throttled\":", served.requests_throttled,
                   ",\"requesters_dropped\":", served.requesters_dropped,
                   ",\"serving_peak_bytes\":", served.budget_peak_bytes, "}\n"));
  return code;
}
