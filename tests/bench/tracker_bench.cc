// Load generator for the tracker: starts the real tracker binary on
// 127.0.0.1 (port 0), registers --peers simulated peers spread over --swarms
// files, then for --seconds keeps every client thread busy with pipelined
// announce + get_file_peers pairs (sendmmsg/recvmmsg, --window requests in
// flight per thread). Prints one JSON line:
//   {"announces_per_s":…, "p50_us":…, "p99_us":…, "errors":…,
//    "tracker_peak_rss_mib":…, ...}
//
//   bazel run -c opt //tests/bench:tracker_bench --
//       --seconds=10 --clients=4 --swarms=10000 --peers=100000

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/tracker.pb.h"
#include "tests/tracker/tracker_process.h"

namespace {

constexpr uint64_t kMagic = 0x41727101980ULL;
constexpr uint32_t kChunkBytes = 256 * 1024;
constexpr uint32_t kChunksPerFile = 16;

struct Config {
  int seconds = 10;
  int clients = 4;
  int swarms = 10'000;
  int peers = 100'000;
  int window = 16;
  std::string tracker = "tracker/tracker";
};

struct ThreadResult {
  uint64_t announces = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::vector<uint32_t> latencies_ns;
};

int64_t NowNs() { return absl::GetCurrentTimeNanos(); }

std::string RootHash(int swarm) {
  std::string h(32, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>(swarm >> (8 * i));
  h[31] = 'B';
  return h;
}

// One client thread: one UDP socket, one connection id, a window of
// requests in flight.
class Client {
 public:
  Client(const Config& config, uint16_t port, int first_peer, int last_peer)
      : config_(config), first_peer_(first_peer), last_peer_(last_peer) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    int buffer = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    slots_.resize(static_cast<size_t>(config.window));
    send_bufs_.resize(slots_.size() * kBufBytes);
    recv_bufs_.resize(slots_.size() * kBufBytes);
  }
  ~Client() { close(fd_); }

  bool Connect() {
    pytorrent::v1::TrackerRequest r;
    r.set_transaction_id(0xC0FFEE);
    r.mutable_connect()->set_protocol_magic(kMagic);
    r.mutable_connect()->set_padding(std::string(16, '\0'));
    const std::string bytes = r.SerializeAsString();
    for (int attempt = 0; attempt < 10; ++attempt) {
      send(fd_, bytes.data(), bytes.size(), 0);
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 500) <= 0) continue;
      char buf[2048];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      pytorrent::v1::TrackerResponse reply;
      if (n > 0 && reply.ParseFromArray(buf, static_cast<int>(n)) && reply.has_connect()) {
        connection_id_ = reply.connect().connection_id();
        return true;
      }
    }
    return false;
  }

  // Registers every peer once (announces only), not timed.
  void Register(ThreadResult* result) {
    next_peer_ = first_peer_;
    Drive(result, /*register_only=*/true, INT64_MAX, nullptr);
  }

  // Announce + get_file_peers pairs until `end_ns`.
  void Load(int64_t end_ns, ThreadResult* result) {
    next_peer_ = first_peer_;
    Drive(result, /*register_only=*/false, end_ns, &result->latencies_ns);
  }

 private:
  static constexpr size_t kBufBytes = 1500;
  enum Kind : uint8_t { kAnnounce, kGetFilePeers };
  struct Slot {
    bool busy = false;
    uint32_t txid = 0;
    int64_t sent_ns = 0;
    Kind kind = kAnnounce;
    int peer = 0;
  };

  // Builds the next request into slot `i`; false when registration is done.
  size_t Build(size_t i, bool register_only, bool* done) {
    Slot& s = slots_[i];
    if (register_only) {
      if (next_peer_ >= last_peer_) {
        *done = true;
        return 0;
      }
      s.kind = kAnnounce;
      s.peer = next_peer_++;
    } else if (pending_get_peer_ >= 0) {
      s.kind = kGetFilePeers;
      s.peer = pending_get_peer_;
      pending_get_peer_ = -1;
    } else {
      s.kind = kAnnounce;
      s.peer = next_peer_++;
      if (next_peer_ >= last_peer_) next_peer_ = first_peer_;
      pending_get_peer_ = s.peer;  // its get_file_peers goes next
    }
    s.txid = (++sequence_ << 8) | static_cast<uint32_t>(i);
    request_.Clear();
    request_.set_connection_id(connection_id_);
    request_.set_transaction_id(s.txid);
    const int swarm = s.peer % config_.swarms;
    if (s.kind == kAnnounce) {
      pytorrent::v1::AnnounceRequest* a = request_.mutable_announce();
      a->set_peer_id(static_cast<uint64_t>(s.peer) + 1);
      a->set_peer_key(static_cast<uint64_t>(s.peer) * 7919 + 17);
      a->set_username(absl::StrFormat("peer%d", s.peer));
      a->set_chunk_endpoint(absl::StrFormat("tcp://10.%d.%d.%d:%d", (s.peer >> 16) & 0xff,
                                            (s.peer >> 8) & 0xff, s.peer & 0xff,
                                            6881 + s.peer % 1000));
      pytorrent::v1::FileAvailability* f = a->add_files();
      f->set_name(absl::StrFormat("file-%d.bin", swarm));
      f->set_size_bytes(uint64_t{kChunkBytes} * kChunksPerFile);
      f->set_chunk_size_bytes(kChunkBytes);
      f->set_root_hash(RootHash(swarm));
      f->set_chunks_have(s.peer % 3 == 0 ? kChunksPerFile : s.peer % kChunksPerFile);
    } else {
      pytorrent::v1::GetFilePeersRequest* g = request_.mutable_get_file_peers();
      g->set_root_hash(RootHash(swarm));
      g->set_max_peers(10);
      g->set_exclude_peer_id(static_cast<uint64_t>(s.peer) + 1);
    }
    uint8_t* buf = send_bufs_.data() + i * kBufBytes;
    const size_t n = request_.ByteSizeLong();
    request_.SerializeWithCachedSizesToArray(buf);
    return n;
  }

  void Drive(ThreadResult* result, bool register_only, int64_t end_ns,
             std::vector<uint32_t>* latencies) {
    const size_t w = slots_.size();
    std::vector<mmsghdr> out(w), in(w);
    std::vector<iovec> out_iov(w), in_iov(w);
    std::vector<size_t> to_send;
    bool done = false;
    size_t busy = 0;
    pytorrent::v1::TrackerResponse reply;
    for (;;) {
      const int64_t now = NowNs();
      const bool stopping = done || now >= end_ns;
      // Fill free slots.
      to_send.clear();
      if (!stopping) {
        for (size_t i = 0; i < w && !done; ++i) {
          if (slots_[i].busy) continue;
          const size_t n = Build(i, register_only, &done);
          if (n == 0) break;
          slots_[i].busy = true;
          slots_[i].sent_ns = now;
          out_iov[to_send.size()] = {send_bufs_.data() + i * kBufBytes, n};
          to_send.push_back(i);
          ++busy;
        }
      }
      for (size_t k = 0; k < to_send.size(); ++k) {
        out[k] = {};
        out[k].msg_hdr.msg_iov = &out_iov[k];
        out[k].msg_hdr.msg_iovlen = 1;
      }
      for (size_t sent = 0; sent < to_send.size();) {
        const int n =
            sendmmsg(fd_, out.data() + sent, static_cast<unsigned>(to_send.size() - sent), 0);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      if (busy == 0 && stopping) return;
      // Collect replies.
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 10) <= 0) {
        ExpireStale(NowNs(), result, &busy);
        continue;
      }
      for (size_t i = 0; i < w; ++i) {
        in_iov[i] = {recv_bufs_.data() + i * kBufBytes, kBufBytes};
        in[i] = {};
        in[i].msg_hdr.msg_iov = &in_iov[i];
        in[i].msg_hdr.msg_iovlen = 1;
      }
      const int got = recvmmsg(fd_, in.data(), static_cast<unsigned>(w), MSG_DONTWAIT, nullptr);
      const int64_t at = NowNs();
      for (int k = 0; k < got; ++k) {
        if (!reply.ParseFromArray(recv_bufs_.data() + static_cast<size_t>(k) * kBufBytes,
                                  static_cast<int>(in[k].msg_len))) {
          ++result->errors;
          continue;
        }
        const size_t i = reply.transaction_id() & 0xff;
        if (i >= w || !slots_[i].busy || slots_[i].txid != reply.transaction_id()) continue;
        Slot& s = slots_[i];
        s.busy = false;
        --busy;
        ++result->requests;
        if (reply.has_error()) {
          ++result->errors;
        } else if (s.kind == kAnnounce) {
          ++result->announces;
        }
        if (latencies != nullptr) {
          latencies->push_back(
              static_cast<uint32_t>(std::min<int64_t>(at - s.sent_ns, UINT32_MAX)));
        }
      }
      ExpireStale(at, result, &busy);
    }
  }

  // A request unanswered for a second is lost: count it and free the slot.
  void ExpireStale(int64_t now, ThreadResult* result, size_t* busy) {
    for (Slot& s : slots_) {
      if (s.busy && now - s.sent_ns > 1'000'000'000) {
        s.busy = false;
        --*busy;
        ++result->errors;
      }
    }
  }

  const Config& config_;
  int fd_ = -1;
  int first_peer_, last_peer_;
  int next_peer_ = 0;
  int pending_get_peer_ = -1;
  uint32_t sequence_ = 0;
  uint64_t connection_id_ = 0;
  std::vector<Slot> slots_;
  std::vector<uint8_t> send_bufs_, recv_bufs_;
  pytorrent::v1::TrackerRequest request_;
};

// A /proc/<pid>/status field in KiB, or -1.
int64_t StatusKib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  CLI::App app{"Tracker load generator: prints one JSON line"};
  app.add_option("--seconds", config.seconds, "Measured duration")->check(CLI::Range(1, 3600));
  app.add_option("--clients", config.clients, "Client threads (one UDP socket each)")
      ->check(CLI::Range(1, 64));
  app.add_option("--swarms", config.swarms, "Distinct files")->check(CLI::Range(1, 10'000'000));
  app.add_option("--peers", config.peers, "Simulated peers")->check(CLI::Range(1, 10'000'000));
  app.add_option("--window", config.window, "Requests in flight per client")
      ->check(CLI::Range(1, 256));
  app.add_option("--tracker", config.tracker, "Tracker binary (runfiles path)");
  CLI11_PARSE(app, argc, argv);
  if (config.clients > config.peers) config.clients = config.peers;

  char dir_template[] = "/tmp/pt-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::cerr << "mkdtemp failed\n";
    return 1;
  }
  const std::string dir = dir_template;
  int exit_code = 0;
  {
    auto tracker = pytorrent::testing::TrackerProcess::Start(
        {.binary = config.tracker,
         .dir = dir,
         .args = {"--max-peers", std::to_string(config.peers + 16), "--announce-interval-s", "3600",
                  "--log-level", "warn"}});
    if (!tracker.ok()) {
      std::cerr << "cannot start tracker: " << tracker.status() << "\n";
      return 1;
    }
    const pid_t pid = (*tracker)->pid();
    const int64_t idle_rss_kib = StatusKib(pid, "VmRSS");

    std::vector<std::unique_ptr<Client>> clients;
    for (int c = 0; c < config.clients; ++c) {
      const int first = static_cast<int>(int64_t{config.peers} * c / config.clients);
      const int last = static_cast<int>(int64_t{config.peers} * (c + 1) / config.clients);
      clients.push_back(std::make_unique<Client>(config, (*tracker)->port(), first, last));
      if (!clients.back()->Connect()) {
        std::cerr << "connect failed\n";
        return 1;
      }
    }
    std::vector<ThreadResult> reg(config.clients), load(config.clients);
    auto run_all = [&](auto fn) {
      std::vector<std::thread> threads;
      for (int c = 0; c < config.clients; ++c) threads.emplace_back([&, c] { fn(c); });
      for (auto& t : threads) t.join();
    };
    const int64_t reg_start = NowNs();
    run_all([&](int c) { clients[c]->Register(&reg[c]); });
    const double reg_seconds = static_cast<double>(NowNs() - reg_start) / 1e9;
    const int64_t registered_rss_kib = StatusKib(pid, "VmRSS");

    const int64_t start = NowNs();
    const int64_t end = start + int64_t{config.seconds} * 1'000'000'000;
    run_all([&](int c) {
      load[c].latencies_ns.reserve(static_cast<size_t>(config.seconds) * 400'000 /
                                   static_cast<size_t>(config.clients));
      clients[c]->Load(end, &load[c]);
    });
    const double elapsed = static_cast<double>(NowNs() - start) / 1e9;
    const int64_t peak_kib = StatusKib(pid, "VmHWM");

    uint64_t announces = 0, requests = 0, errors = 0, reg_errors = 0, reg_announces = 0;
    std::vector<uint32_t> all;
    for (int c = 0; c < config.clients; ++c) {
      announces += load[c].announces;
      requests += load[c].requests;
      errors += load[c].errors;
      reg_errors += reg[c].errors;
      reg_announces += reg[c].announces;
      all.insert(all.end(), load[c].latencies_ns.begin(), load[c].latencies_ns.end());
    }
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
      if (all.empty()) return 0.0;
      return all[std::min(all.size() - 1,
                          static_cast<size_t>(p * static_cast<double>(all.size())))] /
             1000.0;
    };
    const int tracker_exit = (*tracker)->Stop();
    if (tracker_exit != 0) exit_code = 1;
    std::printf(
        "{\"announces_per_s\":%.0f, \"p50_us\":%.1f, \"p99_us\":%.1f, \"errors\":%" PRIu64
        ", \"tracker_peak_rss_mib\":%.1f, \"requests_per_s\":%.0f, \"registered_peers\":%" PRIu64
        ", \"register_errors\":%" PRIu64
        ", \"register_s\":%.2f, \"tracker_idle_rss_mib\":%.1f"
        ", \"bytes_per_peer\":%.0f, \"clients\":%d, \"window\":%d, \"tracker_exit\":%d}\n",
        static_cast<double>(announces) / elapsed, pct(0.50), pct(0.99), errors + reg_errors,
        static_cast<double>(peak_kib) / 1024.0, static_cast<double>(requests) / elapsed,
        reg_announces, reg_errors, reg_seconds, static_cast<double>(idle_rss_kib) / 1024.0,
        static_cast<double>(registered_rss_kib - idle_rss_kib) * 1024.0 /
            static_cast<double>(std::max<uint64_t>(1, reg_announces)),
        config.clients, config.window, tracker_exit);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return exit_code;
}
