// A fake peer node for CLI tests: serves FakePeerControl (demo contents) over
// the real admin server on a Unix socket, advances downloads by itself, and
// appends every change the CLI asks for to a journal file the test reads.
//
//   fake_node --socket PATH --ready-file F [--username NAME] [--journal F]
//             [--tick-ms 100] [--tick-bytes 1048576]
//
// Exits 0 on SIGINT/SIGTERM or after a Disconnect call.

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "admin/admin_server.h"
#include "common/mutex.h"
#include "common/sha256.h"
#include "tests/fakes/fake_peer_control.h"
#include "tests/fakes/fake_tracker_control.h"

namespace {

using pytorrent::testing::FakePeerControl;

volatile std::sig_atomic_t g_signalled = 0;
void OnSignal(int) { g_signalled = 1; }

// Forwards to FakePeerControl and journals each change, one line each.
class JournalingNode final : public pytorrent::peer::PeerControl {
 public:
  JournalingNode(FakePeerControl& fake, std::string journal_path)
      : fake_(fake), journal_path_(std::move(journal_path)) {}

  pytorrent::v1::PeerStatus GetStatus() override { return fake_.GetStatus(); }
  absl::StatusOr<pytorrent::v1::ListPeersResponse> ListPeers(
      const pytorrent::v1::ListPeersRequest& r) override {
    return fake_.ListPeers(r);
  }
  pytorrent::v1::ListSharedFilesResponse ListSharedFiles() override {
    return fake_.ListSharedFiles();
  }
  absl::StatusOr<pytorrent::v1::SearchFilesResponse> SearchFiles(
      const pytorrent::v1::SearchFilesRequest& r) override {
    return fake_.SearchFiles(r);
  }
  absl::StatusOr<uint64_t> StartDownload(const pytorrent::v1::StartDownloadRequest& r) override {
    auto id = fake_.StartDownload(r);
    if (id.ok()) Journal("start_download " + std::to_string(*id));
    return id;
  }
  absl::StatusOr<pytorrent::peer::DownloadSnapshot> AwaitDownloadChange(
      uint64_t id, uint64_t after, absl::Time deadline) override {
    return fake_.AwaitDownloadChange(id, after, deadline);
  }
  pytorrent::v1::ListDownloadsResponse ListDownloads() override { return fake_.ListDownloads(); }
  absl::Status CancelDownload(uint64_t id) override { return fake_.CancelDownload(id); }
  absl::StatusOr<pytorrent::v1::SharedFile> ShareFile(const std::string& path) override {
    auto file = fake_.ShareFile(path);
    if (file.ok()) Journal("share " + path);
    return file;
  }
  absl::Status SetSeeding(const std::string& root_hash, bool seeding) override {
    absl::Status s = fake_.SetSeeding(root_hash, seeding);
    if (s.ok()) {
      Journal("set_seeding " + pytorrent::BytesToHex(root_hash) + (seeding ? " true" : " false"));
    }
    return s;
  }
  absl::Status ChangeUsername(const std::string& name) override {
    absl::Status s = fake_.ChangeUsername(name);
    if (s.ok()) Journal("change_username " + name);
    return s;
  }
  absl::Status UpdateSettings(const pytorrent::v1::UpdateSettingsRequest& r) override {
    absl::Status s = fake_.UpdateSettings(r);
    if (s.ok()) {
      Journal("update_settings username=" + r.username() + " tracker_host=" + r.tracker_host() +
              " tracker_port=" + std::to_string(r.tracker_port()));
    }
    return s;
  }
  absl::Status Disconnect() override {
    Journal("disconnect");
    return fake_.Disconnect();
  }

 private:
  void Journal(const std::string& line) {
    if (journal_path_.empty()) return;
    pytorrent::MutexLock lock(mu_);
    std::ofstream(journal_path_, std::ios::app) << line << "\n";
  }

  FakePeerControl& fake_;
  const std::string journal_path_;
  pytorrent::Mutex mu_;
};

// Two peers, two swarms and some counters.
void FillTrackerDemo(pytorrent::testing::FakeTrackerControl& tracker) {
  pytorrent::v1::TrackerStats stats;
  stats.set_requests(1200);
  stats.set_announces(300);
  stats.set_announces_per_s(2.5);
  stats.set_uptime_seconds(3725);
  (*stats.mutable_errors_by_kind())["malformed"] = 4;
  (*stats.mutable_errors_by_kind())["bad_connection_id"] = 2;
  tracker.SetStats(stats);
  const char* const kPeers[][2] = {{"alice", "tcp://127.0.0.1:7001"},
                                   {"bob", "tcp://127.0.0.1:7002"}};
  uint64_t id = 0xA0A0000000000001ULL;
  for (const auto& p : kPeers) {
    pytorrent::v1::PeerInfo peer;
    peer.set_peer_id(id++);
    peer.set_username(p[0]);
    peer.set_chunk_endpoint(p[1]);
    peer.set_file_count(1);
    tracker.AddPeer(peer);
  }
  for (const char* name : {"big_buck_bunny.mp4", "readme.md"}) {
    pytorrent::v1::FileSummary swarm;
    swarm.set_name(name);
    swarm.set_size_bytes(std::string(name) == "readme.md" ? 4096 : 20971520);
    swarm.set_chunk_size_bytes(262144);
    swarm.set_root_hash(pytorrent::testing::FakeRootHash(name));
    swarm.set_seeders(2);
    swarm.set_leechers(1);
    tracker.AddSwarm(swarm);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fake PyTorrent peer node for CLI tests", "fake_node"};
  std::string socket_path, ready_file, username, journal;
  std::string tcp_address, tls_cert, tls_key, token_file, port_file;
  int tick_ms = 100;
  uint64_t tick_bytes = 1 << 20;
  app.add_option("--socket", socket_path, "admin Unix socket to serve")->required();
  app.add_option("--ready-file", ready_file, "written (atomically) once serving")->required();
  app.add_option("--username", username, "node username; empty means first run");
  app.add_option("--journal", journal, "append every change made by the CLI here");
  app.add_option("--tick-ms", tick_ms, "download simulation step, milliseconds");
  app.add_option("--tcp-address", tcp_address, "also serve TLS on HOST:PORT (port 0: any)");
  app.add_option("--tls-cert", tls_cert, "PEM certificate for --tcp-address");
  app.add_option("--tls-key", tls_key, "PEM key for --tcp-address");
  app.add_option("--token-file", token_file, "file holding the bearer token for --tcp-address");
  app.add_option("--port-file", port_file, "written with the bound TCP port");
  bool tracker_mode = false;
  app.add_flag("--tracker", tracker_mode, "serve TrackerAdmin (a fake tracker) instead");
  app.add_option("--tick-bytes", tick_bytes, "bytes each active download gains per step");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  FakePeerControl fake;
  FakePeerControl::FillDemo(fake, username);
  pytorrent::Mutex mu;
  pytorrent::CondVar stopped;
  bool stop = false;
  fake.SetOnDisconnect([&] {
    pytorrent::MutexLock lock(mu);
    stop = true;
    stopped.SignalAll();
  });
  JournalingNode node(fake, journal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  std::string token;
  if (!token_file.empty()) std::getline(std::ifstream(token_file), token);
  const pytorrent::admin::AdminServerOptions options = {.unix_socket_path = socket_path,
                                                        .tcp_address = tcp_address,
                                                        .tls_cert_file = tls_cert,
                                                        .tls_key_file = tls_key,
                                                        .token = token};
  pytorrent::testing::FakeTrackerControl tracker;
  FillTrackerDemo(tracker);
  auto server = tracker_mode ? pytorrent::admin::StartTrackerAdminServer(tracker, options)
                             : pytorrent::admin::StartPeerAdminServer(node, options);
  if (!server.ok()) {
    std::cerr << "fake_node: " << server.status() << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << (*server)->tcp_port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }
  {
    const std::string tmp = ready_file + ".tmp";
    std::ofstream(tmp) << "ready\n";
    std::rename(tmp.c_str(), ready_file.c_str());
  }
  while (true) {
    {
      pytorrent::MutexLock lock(mu);
      // The simulation step; also wakes at once on Disconnect.
      stopped.WaitUntil(mu, absl::Now() + absl::Milliseconds(tick_ms), [&] { return stop; });
      if (stop) break;
    }
    if (g_signalled) break;
    fake.Tick(tick_bytes);
  }
  (*server)->Shutdown(absl::Seconds(2));
  return 0;
}
