// Load generator for the tracker: starts the real tracker binary on
// 127.0.0.1 (port 0), registers --peers simulated peers spread over --swarms
// files, then for --seconds keeps every client thread busy with pipelined
// requests (sendmmsg/recvmmsg, --window requests in flight per thread).
//
// A simulated peer's cycle, as in a BEP 15 load test (opentracker's): one
// `connect` per connection-id lifetime per client socket, then announces
// that carry `peers_for_root_hash` for the peer's swarm, so each announce is
// one datagram whose reply lists up to 10 of the swarm's peers. With
// --separate-get-peers the old mix runs instead: a plain announce followed
// by a separate get_file_peers datagram (every --get-peers-every announces).
//
// Prints one JSON line:
//   {"announces_per_s":…, "datagrams_per_s":…, "p50_us":…, "p99_us":…,
//    "errors":…, "tracker_peak_rss_mib":…, "bytes_per_peer":…, ...}
//
//   bazel run -c opt //tests/bench:tracker_bench --
//       --seconds=10 --clients=4 --swarms=10000 --peers=100000
//
// A tracker fleet (tracker/README.md): --store=redis starts a real
// redis-server (--redis-cluster: a 3-master Redis Cluster) under a temporary
// folder and --instances trackers on it sharing one --secret-file; client
// thread c talks to instance c % instances. The same load then runs against
// one in-memory tracker in the same run (the reference: opentracker is not
// packaged for Debian, so it cannot run here), and the line adds the
// reference's figures, the ratio, the CPU per announce of the trackers and
// of Redis, and Redis memory per registered peer (INFO used_memory).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/tracker.pb.h"
#include "tests/tracker/redis_process.h"
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
  bool batch_sched = false;
  int io_threads = 1;
  bool pin = false;
  // Old two-datagram mix: plain announces plus a get_file_peers after every
  // Nth announce (1: after each; 0: never). Off: announces carry
  // peers_for_root_hash.
  bool separate_get_peers = false;
  int get_peers_every = 1;
  // Peers asked for per swarm query.
  int max_peers = 10;
  // The tracker's --connection-id-window-s (the smoke test shortens it so
  // clients renew their ids during the run).
  int id_window_s = 120;
  // memory | redis; tracker instances (redis only); a Redis Cluster.
  std::string store = "memory";
  int instances = 1;
  bool redis_cluster = false;
  // With --store=redis: also measure one in-memory tracker in the same run.
  bool reference = true;
};

struct ThreadResult {
  uint64_t announces = 0;
  // Replies matched to a request (announce or get_file_peers).
  uint64_t requests = 0;
  // Connects sent during the load (id renewals).
  uint64_t connects = 0;
  uint64_t errors = 0;
  // Sampled replies (1 in 64, fully parsed) and the peers they listed.
  uint64_t sampled_replies = 0;
  uint64_t sampled_peers = 0;
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
    Precompute();
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
        // Renew at 90% of the id's lifetime, as tracker_client does.
        renew_at_ns_ = NowNs() + int64_t{reply.connect().lifetime_seconds()} * 900'000'000;
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

  // The measured load until `end_ns`.
  void Load(int64_t end_ns, ThreadResult* result) {
    next_peer_ = first_peer_;
    Drive(result, /*register_only=*/false, end_ns, &result->latencies_ns);
  }

 private:
  static constexpr size_t kBufBytes = 1500;
  enum Kind : uint8_t { kAnnounce, kGetFilePeers, kAnnounceWithPeers };
  struct Slot {
    bool busy = false;
    uint32_t txid = 0;
    int64_t sent_ns = 0;
    Kind kind = kAnnounce;
    int peer = 0;
  };

  // Serializes every request this client will send once, with placeholder
  // ids at fixed offsets (fields 1 and 2 are fixed-width and come first), so
  // the load loop only copies and patches bytes: the generator should spend
  // its CPU on the kernel, not on protobuf.
  void Precompute() {
    pytorrent::v1::TrackerRequest r;
    for (int peer = first_peer_; peer < last_peer_; ++peer) {
      const int swarm = peer % config_.swarms;
      r.Clear();
      r.set_connection_id(~uint64_t{0});
      r.set_transaction_id(~uint32_t{0});
      pytorrent::v1::AnnounceRequest* a = r.mutable_announce();
      a->set_peer_id(static_cast<uint64_t>(peer) + 1);
      a->set_peer_key(static_cast<uint64_t>(peer) * 7919 + 17);
      a->set_username(absl::StrFormat("peer%d", peer));
      a->set_chunk_endpoint(absl::StrFormat("tcp://10.%d.%d.%d:%d", (peer >> 16) & 0xff,
                                            (peer >> 8) & 0xff, peer & 0xff, 6881 + peer % 1000));
      pytorrent::v1::FileAvailability* f = a->add_files();
      f->set_name(absl::StrFormat("file-%d.bin", swarm));
      f->set_size_bytes(uint64_t{kChunkBytes} * kChunksPerFile);
      f->set_chunk_size_bytes(kChunkBytes);
      f->set_root_hash(RootHash(swarm));
      f->set_chunks_have(peer % 3 == 0 ? kChunksPerFile : peer % kChunksPerFile);
      announces_.push_back(r.SerializeAsString());
      r.Clear();
      r.set_connection_id(~uint64_t{0});
      r.set_transaction_id(~uint32_t{0});
      pytorrent::v1::GetFilePeersRequest* g = r.mutable_get_file_peers();
      g->set_root_hash(RootHash(swarm));
      g->set_max_peers(static_cast<uint32_t>(config_.max_peers));
      g->set_exclude_peer_id(static_cast<uint64_t>(peer) + 1);
      get_peers_.push_back(r.SerializeAsString());
      if (!config_.separate_get_peers) {
        // The announce again, asking for its swarm's peers in the reply.
        pytorrent::v1::TrackerRequest with_peers;
        with_peers.ParseFromString(announces_.back());
        with_peers.mutable_announce()->set_peers_for_root_hash(RootHash(swarm));
        with_peers.mutable_announce()->set_max_peers(static_cast<uint32_t>(config_.max_peers));
        announces_with_peers_.push_back(with_peers.SerializeAsString());
      }
    }
  }

  // Puts the next request into slot `i`; returns its size, 0 (and sets
  // `done`) when registration has no peer left.
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
      s.kind = config_.separate_get_peers ? kAnnounce : kAnnounceWithPeers;
      s.peer = next_peer_++;
      if (next_peer_ >= last_peer_) next_peer_ = first_peer_;
      if (config_.separate_get_peers && config_.get_peers_every > 0 &&
          ++announce_count_ % config_.get_peers_every == 0) {
        pending_get_peer_ = s.peer;  // its get_file_peers goes next
      }
    }
    s.txid = (++sequence_ << 8) | static_cast<uint32_t>(i);
    const std::vector<std::string>& table = s.kind == kAnnounce       ? announces_
                                            : s.kind == kGetFilePeers ? get_peers_
                                                                      : announces_with_peers_;
    const std::string& bytes = table[static_cast<size_t>(s.peer - first_peer_)];
    uint8_t* buf = send_bufs_.data() + i * kBufBytes;
    std::memcpy(buf, bytes.data(), bytes.size());
    // Layout: 0x09 <connection_id: 8 bytes LE> 0x15 <transaction_id: 4 bytes LE> ...
    std::memcpy(buf + 1, &connection_id_, 8);
    std::memcpy(buf + 10, &s.txid, 4);
    return bytes.size();
  }

  // Reads the transaction id and whether the reply is an error. The
  // tracker writes fields in order, so field 1 (fixed32) leads; anything
  // else goes through the full parser.
  bool Decode(const uint8_t* data, size_t size, uint32_t* txid, bool* error) {
    if (size >= 6 && data[0] == 0x0d) {
      std::memcpy(txid, data + 1, 4);
      *error = data[5] == 0x7a;  // field 15 (error), length-delimited
      return true;
    }
    if (!reply_.ParseFromArray(data, static_cast<int>(size))) return false;
    *txid = reply_.transaction_id();
    *error = reply_.has_error();
    return true;
  }

  void Drive(ThreadResult* result, bool register_only, int64_t end_ns,
             std::vector<uint32_t>* latencies) {
    const size_t w = slots_.size();
    std::vector<mmsghdr> out(w), in(w);
    std::vector<iovec> out_iov(w), in_iov(w);
    std::vector<size_t> to_send;
    bool done = false;
    size_t busy = 0;
    for (;;) {
      int64_t now = NowNs();
      if (now >= renew_at_ns_ && !done && now < end_ns) {
        // The connection id is about to expire: drain, then connect again.
        if (busy == 0) {
          if (!Connect()) ++result->errors;
          ++result->connects;
          now = NowNs();
        }
      }
      const bool stopping = done || now >= end_ns;
      const bool draining = now >= renew_at_ns_;
      // Fill free slots.
      to_send.clear();
      if (!stopping && !draining) {
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
        uint32_t txid = 0;
        bool is_error = false;
        if (!Decode(recv_bufs_.data() + static_cast<size_t>(k) * kBufBytes, in[k].msg_len, &txid,
                    &is_error)) {
          ++result->errors;
          continue;
        }
        const size_t i = txid & 0xff;
        if (i >= w || !slots_[i].busy || slots_[i].txid != txid) continue;
        Slot& s = slots_[i];
        s.busy = false;
        --busy;
        ++result->requests;
        if (is_error) {
          ++result->errors;
        } else if (s.kind != kGetFilePeers) {
          ++result->announces;
          if (s.kind == kAnnounceWithPeers && (txid >> 8) % 64 == 0 &&
              reply_.ParseFromArray(recv_bufs_.data() + static_cast<size_t>(k) * kBufBytes,
                                    static_cast<int>(in[k].msg_len))) {
            // Check now and then that the reply does list the swarm's peers.
            ++result->sampled_replies;
            result->sampled_peers += static_cast<uint64_t>(reply_.announce().peers_size());
          }
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
  uint64_t announce_count_ = 0;
  uint32_t sequence_ = 0;
  uint64_t connection_id_ = 0;
  int64_t renew_at_ns_ = INT64_MAX;
  std::vector<Slot> slots_;
  std::vector<uint8_t> send_bufs_, recv_bufs_;
  // By peer - first_peer_.
  std::vector<std::string> announces_, get_peers_, announces_with_peers_;
  pytorrent::v1::TrackerResponse reply_;
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

// User + system CPU seconds the process has used, or -1.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // Fields after the command: state(3) ... utime(14) stime(15).
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// What one measured load gave.
struct RunResult {
  double announces_per_s = 0, datagrams_per_s = 0, p50_us = 0, p99_us = 0;
  uint64_t errors = 0, register_errors = 0, registered = 0, connects = 0;
  double peak_rss_mib = 0, idle_rss_mib = 0, bytes_per_peer = 0, register_s = 0;
  double tracker_cpu_s = 0, store_cpu_s = 0, bench_cpu_s = 0;
  uint64_t requests = 0, announces = 0;
  double peers_per_reply = 0;
  // Redis only: used_memory growth per registered peer; commands scripts
  // ran (INFO commandstats, EVALSHA itself not counted) during the load.
  double store_bytes_per_peer = 0;
  int64_t store_calls = -1;
  int tracker_exit = 0;
};

// Pins the given processes (every thread) to CPU 0 and this process to the
// other CPUs.
void Pin(const std::vector<pid_t>& pids) {
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  if (cpus < 2) return;
  cpu_set_t tracker_set;
  CPU_ZERO(&tracker_set);
  CPU_SET(0, &tracker_set);
  for (pid_t pid : pids) {
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
      sched_setaffinity(std::stoi(task.path().filename().string()), sizeof(tracker_set),
                        &tracker_set);
    }
  }
  cpu_set_t client_set;
  CPU_ZERO(&client_set);
  for (int c = 1; c < cpus; ++c) CPU_SET(c, &client_set);
  sched_setaffinity(0, sizeof(client_set), &client_set);
}

// Registers every peer, then runs the load; `trackers` serve it (client c
// talks to trackers[c % size]), `store_pids` are the Redis processes (empty
// for the in-memory store), `store_memory` their used_memory in bytes.
bool Measure(const Config& config, const std::vector<pytorrent::testing::TrackerProcess*>& trackers,
             const std::vector<pid_t>& store_pids, const std::function<int64_t()>& store_memory,
             const std::function<int64_t()>& store_calls, RunResult* out) {
  std::vector<pid_t> tracker_pids;
  for (auto* t : trackers) tracker_pids.push_back(t->pid());
  if (config.pin) {
    std::vector<pid_t> all = tracker_pids;
    all.insert(all.end(), store_pids.begin(), store_pids.end());
    Pin(all);
  }
  auto sum = [](const std::vector<pid_t>& pids, auto fn) {
    double total = 0;
    for (pid_t pid : pids) total += fn(pid);
    return total;
  };
  auto rss_kib = [](pid_t pid) { return static_cast<double>(StatusKib(pid, "VmRSS")); };
  const double idle_rss_kib = sum(tracker_pids, rss_kib);
  const int64_t idle_store_bytes = store_memory ? store_memory() : 0;

  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < config.clients; ++c) {
    const int first = static_cast<int>(int64_t{config.peers} * c / config.clients);
    const int last = static_cast<int>(int64_t{config.peers} * (c + 1) / config.clients);
    clients.push_back(
        std::make_unique<Client>(config, trackers[c % trackers.size()]->port(), first, last));
    if (!clients.back()->Connect()) {
      std::cerr << "connect failed\n";
      return false;
    }
  }
  std::vector<ThreadResult> reg(config.clients), load(config.clients);
  auto run_all = [&](auto fn) {
    std::vector<std::thread> threads;
    for (int c = 0; c < config.clients; ++c) {
      threads.emplace_back([&, c] {
        if (config.batch_sched) {
          sched_param param{};
          pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
        }
        fn(c);
      });
    }
    for (auto& t : threads) t.join();
  };
  const int64_t reg_start = NowNs();
  run_all([&](int c) { clients[c]->Register(&reg[c]); });
  out->register_s = static_cast<double>(NowNs() - reg_start) / 1e9;
  const double registered_rss_kib = sum(tracker_pids, rss_kib);
  const int64_t registered_store_bytes = store_memory ? store_memory() : 0;

  const double cpu_before = sum(tracker_pids, CpuSeconds);
  const double store_cpu_before = sum(store_pids, CpuSeconds);
  const int64_t store_calls_before = store_calls ? store_calls() : 0;
  const double self_cpu_before = CpuSeconds(getpid());
  const int64_t start = NowNs();
  const int64_t end = start + int64_t{config.seconds} * 1'000'000'000;
  run_all([&](int c) {
    load[c].latencies_ns.reserve(static_cast<size_t>(config.seconds) * 400'000 /
                                 static_cast<size_t>(config.clients));
    clients[c]->Load(end, &load[c]);
  });
  const double elapsed = static_cast<double>(NowNs() - start) / 1e9;
  double peak_kib = 0;
  for (pid_t pid : tracker_pids) {
    peak_kib = std::max(peak_kib, static_cast<double>(StatusKib(pid, "VmHWM")));
  }
  out->tracker_cpu_s = sum(tracker_pids, CpuSeconds) - cpu_before;
  out->store_cpu_s = sum(store_pids, CpuSeconds) - store_cpu_before;
  if (store_calls) out->store_calls = store_calls() - store_calls_before;
  out->bench_cpu_s = CpuSeconds(getpid()) - self_cpu_before;

  uint64_t sampled_replies = 0, sampled_peers = 0;
  std::vector<uint32_t> all;
  for (int c = 0; c < config.clients; ++c) {
    out->announces += load[c].announces;
    out->requests += load[c].requests;
    out->errors += load[c].errors;
    out->register_errors += reg[c].errors;
    out->registered += reg[c].announces;
    out->connects += load[c].connects;
    sampled_replies += load[c].sampled_replies;
    sampled_peers += load[c].sampled_peers;
    all.insert(all.end(), load[c].latencies_ns.begin(), load[c].latencies_ns.end());
  }
  out->errors += out->register_errors;
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))] /
           1000.0;
  };
  out->announces_per_s = static_cast<double>(out->announces) / elapsed;
  out->datagrams_per_s = static_cast<double>(out->requests + out->connects) / elapsed;
  out->p50_us = pct(0.50);
  out->p99_us = pct(0.99);
  out->peak_rss_mib = peak_kib / 1024.0;
  out->idle_rss_mib = idle_rss_kib / 1024.0;
  const double registered = static_cast<double>(std::max<uint64_t>(1, out->registered));
  out->bytes_per_peer = (registered_rss_kib - idle_rss_kib) * 1024.0 / registered;
  out->store_bytes_per_peer =
      static_cast<double>(registered_store_bytes - idle_store_bytes) / registered;
  out->peers_per_reply = static_cast<double>(sampled_peers) /
                         static_cast<double>(std::max<uint64_t>(1, sampled_replies));
  for (auto* t : trackers) {
    const int code = t->Stop();
    if (code != 0) out->tracker_exit = code;
  }
  return true;
}

std::vector<std::string> TrackerArgs(const Config& config) {
  return {"--max-peers",
          std::to_string(config.peers + 16),
          "--announce-interval-s",
          "3600",
          "--io-threads",
          std::to_string(config.io_threads),
          "--connection-id-window-s",
          std::to_string(config.id_window_s),
          "--log-level",
          "warn"};
}

// One in-memory tracker, measured.
bool MeasureMemory(const Config& config, const std::string& dir, RunResult* out) {
  auto tracker = pytorrent::testing::TrackerProcess::Start(
      {.binary = config.tracker, .dir = dir, .args = TrackerArgs(config)});
  if (!tracker.ok()) {
    std::cerr << "cannot start tracker: " << tracker.status() << "\n";
    return false;
  }
  return Measure(config, {tracker->get()}, {}, nullptr, nullptr, out);
}

// used_memory of one Redis node, in bytes (0 if unknown).
int64_t UsedMemory(const pytorrent::testing::RedisServer& redis) {
  absl::StatusOr<std::string> info = redis.Command("INFO memory");
  if (!info.ok()) return 0;
  const size_t at = info->find("used_memory:");
  if (at == std::string::npos) return 0;
  return std::atoll(info->c_str() + at + std::strlen("used_memory:"));
}

// Commands one Redis node has run, but EVALSHA and INFO themselves: what
// the scripts called (INFO commandstats).
int64_t ScriptCalls(const pytorrent::testing::RedisServer& redis) {
  absl::StatusOr<std::string> info = redis.Command("INFO commandstats");
  if (!info.ok()) return 0;
  int64_t total = 0;
  std::istringstream lines(*info);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("cmdstat_", 0) != 0 || line.rfind("cmdstat_evalsha:", 0) == 0 ||
        line.rfind("cmdstat_info:", 0) == 0) {
      continue;
    }
    const size_t at = line.find("calls=");
    if (at != std::string::npos) total += std::atoll(line.c_str() + at + 6);
  }
  return total;
}

// --instances trackers on one redis-server or a 3-master cluster, measured.
bool MeasureRedis(const Config& config, const std::string& dir, RunResult* out) {
  std::unique_ptr<pytorrent::testing::RedisServer> server;
  std::unique_ptr<pytorrent::testing::RedisCluster> cluster;
  std::vector<pytorrent::testing::RedisServer*> nodes;
  std::string addresses;
  if (config.redis_cluster) {
    auto started = pytorrent::testing::RedisCluster::Start(dir + "/cluster", 3);
    if (!started.ok()) {
      std::cerr << "cannot start a Redis Cluster: " << started.status() << "\n";
      return false;
    }
    cluster = std::move(*started);
    for (size_t i = 0; i < cluster->size(); ++i) nodes.push_back(&cluster->node(i));
    addresses = cluster->addresses();
  } else {
    auto started = pytorrent::testing::RedisServer::Start({.dir = dir + "/redis"});
    if (!started.ok()) {
      std::cerr << "cannot start redis-server: " << started.status() << "\n";
      return false;
    }
    server = std::move(*started);
    nodes.push_back(server.get());
    addresses = server->address();
  }
  const std::string secret = dir + "/secret";
  std::ofstream(secret) << std::string(64, 'b') << "\n";
  std::vector<std::unique_ptr<pytorrent::testing::TrackerProcess>> trackers;
  std::vector<pytorrent::testing::TrackerProcess*> raw;
  for (int i = 0; i < config.instances; ++i) {
    std::vector<std::string> args = TrackerArgs(config);
    for (const std::string& a :
         {std::string("--store"), std::string("redis"), std::string("--redis"), addresses,
          std::string("--secret-file"), secret}) {
      args.push_back(a);
    }
    auto tracker = pytorrent::testing::TrackerProcess::Start(
        {.binary = config.tracker, .dir = dir + "/t" + std::to_string(i), .args = args});
    if (!tracker.ok()) {
      std::cerr << "cannot start tracker: " << tracker.status() << "\n";
      return false;
    }
    raw.push_back(tracker->get());
    trackers.push_back(std::move(*tracker));
  }
  std::vector<pid_t> store_pids;
  for (auto* n : nodes) store_pids.push_back(n->pid());
  auto memory = [&] {
    int64_t total = 0;
    for (auto* n : nodes) total += UsedMemory(*n);
    return total;
  };
  auto calls = [&] {
    int64_t total = 0;
    for (auto* n : nodes) total += ScriptCalls(*n);
    return total;
  };
  return Measure(config, raw, store_pids, memory, calls, out);
}

std::string Json(const Config& config, const RunResult& r) {
  const double requests = static_cast<double>(std::max<uint64_t>(1, r.requests));
  std::string json = absl::StrFormat(
      "{\"announces_per_s\":%.0f, \"datagrams_per_s\":%.0f, \"p50_us\":%.1f, "
      "\"p99_us\":%.1f, \"errors\":%d, \"tracker_peak_rss_mib\":%.1f, "
      "\"bytes_per_peer\":%.0f",
      r.announces_per_s, r.datagrams_per_s, r.p50_us, r.p99_us, r.errors, r.peak_rss_mib,
      r.bytes_per_peer);
  absl::StrAppendFormat(&json, ", \"connects_during_load\":%d", r.connects);
  absl::StrAppendFormat(&json, ", \"mode\":\"%s\", \"peers_per_reply\":%.1f",
                        config.separate_get_peers ? "separate_get_peers" : "announce_with_peers",
                        r.peers_per_reply);
  absl::StrAppendFormat(&json, ", \"registered_peers\":%d, \"register_errors\":%d", r.registered,
                        r.register_errors);
  absl::StrAppendFormat(&json, ", \"register_s\":%.2f", r.register_s);
  absl::StrAppendFormat(&json, ", \"tracker_idle_rss_mib\":%.1f", r.idle_rss_mib);
  absl::StrAppendFormat(&json, ", \"tracker_cpu_s\":%.2f, \"tracker_cpu_us_per_request\":%.2f",
                        r.tracker_cpu_s, r.tracker_cpu_s * 1e6 / requests);
  absl::StrAppendFormat(&json, ", \"bench_cpu_us_per_request\":%.2f",
                        r.bench_cpu_s * 1e6 / requests);
  absl::StrAppendFormat(
      &json, ", \"clients\":%d, \"window\":%d, \"io_threads\":%d, \"batch_sched\":%s",
      config.clients, config.window, config.io_threads, config.batch_sched ? "true" : "false");
  absl::StrAppendFormat(&json, ", \"get_peers_every\":%d, \"tracker_exit\":%d",
                        config.separate_get_peers ? config.get_peers_every : 0, r.tracker_exit);
  absl::StrAppendFormat(&json, ", \"store\":\"%s\", \"instances\":%d", config.store,
                        config.store == "redis" ? config.instances : 1);
  if (config.store == "redis") {
    absl::StrAppendFormat(&json, ", \"redis\":\"%s\"",
                          config.redis_cluster ? "cluster3" : "single");
    absl::StrAppendFormat(
        &json, ", \"redis_cpu_s\":%.2f, \"redis_cpu_us_per_announce\":%.2f", r.store_cpu_s,
        r.store_cpu_s * 1e6 / static_cast<double>(std::max<uint64_t>(1, r.announces)));
    absl::StrAppendFormat(
        &json, ", \"tracker_cpu_us_per_announce\":%.2f",
        r.tracker_cpu_s * 1e6 / static_cast<double>(std::max<uint64_t>(1, r.announces)));
    absl::StrAppendFormat(&json, ", \"redis_bytes_per_peer\":%.0f", r.store_bytes_per_peer);
    absl::StrAppendFormat(&json, ", \"redis_calls_per_announce\":%.1f",
                          static_cast<double>(r.store_calls) /
                              static_cast<double>(std::max<uint64_t>(1, r.announces)));
  }
  return json;
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
  app.add_option("--io-threads", config.io_threads, "Tracker I/O threads (its --io-threads)")
      ->check(CLI::Range(1, 64));
  app.add_flag("--separate-get-peers", config.separate_get_peers,
               "Old two-datagram mix: plain announces plus separate get_file_peers requests "
               "(default: each announce asks for its swarm's peers in the reply, as BEP 15)");
  app.add_option("--get-peers-every", config.get_peers_every,
                 "With --separate-get-peers: a get_file_peers after every Nth announce "
                 "(1: each, 0: never)")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--max-peers", config.max_peers, "Peers asked for per swarm query")
      ->check(CLI::Range(1, 64));
  app.add_option("--connection-id-window-s", config.id_window_s,
                 "Tracker connection-id window; clients reconnect at 90% of the lifetime")
      ->check(CLI::Range(1, 3600));
  app.add_flag("--pin", config.pin,
               "Pin the tracker (and Redis) to CPU 0 and the client threads to the other CPUs");
  app.add_flag("--batch-sched,!--no-batch-sched", config.batch_sched,
               "Run client threads as SCHED_BATCH so their wake-ups do not preempt the tracker");
  app.add_option("--store", config.store, "memory, or redis (a tracker fleet on redis-server)")
      ->check(CLI::IsMember({"memory", "redis"}));
  app.add_option("--instances", config.instances, "With --store=redis: tracker instances")
      ->check(CLI::Range(1, 8));
  app.add_flag("--redis-cluster", config.redis_cluster,
               "With --store=redis: a 3-master Redis Cluster instead of one redis-server");
  app.add_flag("--reference,!--no-reference", config.reference,
               "With --store=redis: also measure one in-memory tracker in the same run");
  CLI11_PARSE(app, argc, argv);
  if (config.clients > config.peers) config.clients = config.peers;

  char dir_template[] = "/tmp/pt-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::cerr << "mkdtemp failed\n";
    return 1;
  }
  const std::string dir = dir_template;
  int exit_code = 0;
  RunResult result, reference;
  bool ok = false;
  const bool with_reference = config.store == "redis" && config.reference;
  if (config.store == "redis") {
    ok = MeasureRedis(config, dir + "/fleet", &result) &&
         (!with_reference || MeasureMemory(config, dir + "/reference", &reference));
  } else {
    ok = MeasureMemory(config, dir, &result);
  }
  if (ok) {
    if (result.tracker_exit != 0 || reference.tracker_exit != 0) exit_code = 1;
    std::string json = Json(config, result);
    if (with_reference) {
      absl::StrAppendFormat(&json,
                            ", \"reference\":\"memory store, 1 instance, same run\", "
                            "\"reference_announces_per_s\":%.0f, \"reference_p99_us\":%.1f, "
                            "\"reference_errors\":%d, \"reference_tracker_cpu_us_per_announce\":"
                            "%.2f, \"ratio_to_reference\":%.3f",
                            reference.announces_per_s, reference.p99_us, reference.errors,
                            reference.tracker_cpu_s * 1e6 /
                                static_cast<double>(std::max<uint64_t>(1, reference.announces)),
                            result.announces_per_s / std::max(1.0, reference.announces_per_s));
    }
    std::cout << json << "}" << std::endl;
  } else {
    exit_code = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return exit_code;
}
