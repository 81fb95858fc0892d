// A fault-injecting relay for tests, since this kernel has no netem.
//
// UDP (default): datagrams between clients and --target are lost, delayed,
// duplicated and reordered (each direction on its own, seeded).
//   fault_proxy --listen 127.0.0.1:0 --target 127.0.0.1:6969 --loss 0.3 --delay-ms 100
// TCP (--tcp): every byte is delayed, each direction capped in rate, and
// with --cut-after-bytes the link is cut (RST both ways, listener closed, so
// reconnects are refused) once that many bytes went from target to client.
//   fault_proxy --tcp --listen 127.0.0.1:0 --target 127.0.0.1:6881 --delay-ms 50 --mbit 400
//
// --port-file gets the bound port once it listens. One thread, poll(2).
// SIGTERM/SIGINT end it.

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "tests/fault_proxy/link_faults.h"

namespace {

using pytorrent::testing::TcpPacer;
using pytorrent::testing::TcpShape;
using pytorrent::testing::UdpFaultPlan;
using pytorrent::testing::UdpFaults;

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  std::string Key() const { return std::string(reinterpret_cast<const char*>(&storage), length); }
};

bool Resolve(const std::string& text, Address* out) {
  absl::StatusOr<pytorrent::HostPort> hp = pytorrent::ParseHostPort(text, /*min_port=*/0);
  if (!hp.ok()) {
    std::cerr << "fault_proxy: " << hp.status().message() << "\n";
    return false;
  }
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  if (getaddrinfo(hp->host.c_str(), std::to_string(hp->port).c_str(), &hints, &result) != 0) {
    std::cerr << "fault_proxy: not a numeric address: " << text << "\n";
    return false;
  }
  std::memcpy(&out->storage, result->ai_addr, result->ai_addrlen);
  out->length = result->ai_addrlen;
  freeaddrinfo(result);
  return true;
}

uint16_t BoundPort(int fd) {
  Address a;
  a.length = sizeof(a.storage);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length);
  if (a.storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_port);
}

int Socket(const Address& a, int type) {
  return socket(a.storage.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

bool WritePortFile(const std::string& path, uint16_t port) {
  if (path.empty()) return true;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

int TimeoutMs(absl::Time next, absl::Time now) {
  if (next == absl::InfiniteFuture()) return 1000;
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(next - now, absl::Milliseconds(1)));
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000));
}

// ---------------------------------------------------------------- UDP

int RunUdp(const Address& listen, const Address& target, const UdpFaults& faults, uint64_t seed,
           const std::string& port_file) {
  const int listen_fd = Socket(listen, SOCK_DGRAM);
  if (listen_fd < 0 || bind(listen_fd, listen.get(), listen.length) != 0) {
    std::cerr << "fault_proxy: bind: " << std::strerror(errno) << "\n";
    return 1;
  }
  if (!WritePortFile(port_file, BoundPort(listen_fd))) return 1;
  UdpFaultPlan to_target(faults, seed);
  UdpFaultPlan to_client(faults, seed + 1);
  struct Session {
    int fd;  // connected to the target
    Address client;
  };
  std::map<std::string, Session> sessions;  // by client address
  constexpr size_t kMaxSessions = 256;
  struct Pending {
    int fd;
    bool to_client;
    Address client;
    std::string bytes;
  };
  std::multimap<absl::Time, Pending> pending;
  constexpr size_t kMaxPending = 100000;
  std::vector<char> buffer(65536);
  for (;;) {
    std::vector<pollfd> fds{{listen_fd, POLLIN, 0}};
    std::vector<const Session*> by_index;
    for (const auto& [key, s] : sessions) {
      fds.push_back({s.fd, POLLIN, 0});
      by_index.push_back(&s);
    }
    const absl::Time now = absl::Now();
    const absl::Time next = pending.empty() ? absl::InfiniteFuture() : pending.begin()->first;
    if (poll(fds.data(), fds.size(), TimeoutMs(next, now)) < 0 && errno != EINTR) return 1;
    const absl::Time t = absl::Now();
    if (fds[0].revents & POLLIN) {
      Address from;
      from.length = sizeof(from.storage);
      const ssize_t n = recvfrom(listen_fd, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from.storage), &from.length);
      if (n >= 0) {
        auto it = sessions.find(from.Key());
        if (it == sessions.end() && sessions.size() < kMaxSessions) {
          const int fd = Socket(target, SOCK_DGRAM);
          if (fd >= 0 && connect(fd, target.get(), target.length) == 0) {
            it = sessions.emplace(from.Key(), Session{fd, from}).first;
          } else if (fd >= 0) {
            close(fd);
          }
        }
        if (it != sessions.end() && pending.size() < kMaxPending) {
          for (absl::Time at : to_target.Schedule(t)) {
            pending.emplace(at, Pending{it->second.fd, false, from,
                                        std::string(buffer.data(), static_cast<size_t>(n))});
          }
        }
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      const ssize_t n = recv(fds[i].fd, buffer.data(), buffer.size(), 0);
      if (n < 0 || pending.size() >= kMaxPending) continue;
      for (absl::Time at : to_client.Schedule(t)) {
        pending.emplace(at, Pending{listen_fd, true, by_index[i - 1]->client,
                                    std::string(buffer.data(), static_cast<size_t>(n))});
      }
    }
    while (!pending.empty() && pending.begin()->first <= absl::Now()) {
      const Pending& p = pending.begin()->second;
      if (p.to_client) {
        sendto(p.fd, p.bytes.data(), p.bytes.size(), 0, p.client.get(), p.client.length);
      } else {
        send(p.fd, p.bytes.data(), p.bytes.size(), 0);
      }
      pending.erase(pending.begin());
    }
  }
}

// ---------------------------------------------------------------- TCP

struct Direction {
  explicit Direction(const TcpShape& shape) : pacer(shape) {}
  struct Run {
    absl::Time at;
    std::string bytes;
    size_t offset = 0;
  };
  TcpPacer pacer;
  std::deque<Run> queue;
  size_t queued_bytes = 0;
  bool eof = false;        // the reading side ended
  bool shut_down = false;  // and the writing side was told
};

struct Connection {
  Connection(int client, int target, const TcpShape& shape)
      : client_fd(client), target_fd(target), up(shape), down(shape) {}
  int client_fd;
  int target_fd;
  Direction up;    // client -> target
  Direction down;  // target -> client
  bool dead = false;
};

void Reset(int fd) {
  linger l{1, 0};  // close with RST: a cut, not a clean end
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

// Reads what `from` has into `dir` (up to the queue cap). False on error.
bool ReadInto(int from, Direction& dir, absl::Time now, std::vector<char>& buffer) {
  constexpr size_t kQueueCapBytes = 32 * 1024 * 1024;
  while (!dir.eof && dir.queued_bytes < kQueueCapBytes) {
    const ssize_t n = recv(from, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      const absl::Time at = dir.pacer.Admit(static_cast<size_t>(n), now);
      dir.queue.push_back({at, std::string(buffer.data(), static_cast<size_t>(n))});
      dir.queued_bytes += static_cast<size_t>(n);
    } else if (n == 0) {
      dir.eof = true;
    } else {
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
  }
  return true;
}

// Writes what is due from `dir` to `to`; counts bytes into `*sent`. False on error.
bool WriteDue(int to, Direction& dir, absl::Time now, uint64_t* sent, uint64_t limit) {
  while (!dir.queue.empty() && dir.queue.front().at <= now && *sent < limit) {
    Direction::Run& run = dir.queue.front();
    size_t want = run.bytes.size() - run.offset;
    want = static_cast<size_t>(std::min<uint64_t>(want, limit - *sent));
    const ssize_t n = send(to, run.bytes.data() + run.offset, want, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    run.offset += static_cast<size_t>(n);
    dir.queued_bytes -= static_cast<size_t>(n);
    *sent += static_cast<uint64_t>(n);
    if (run.offset == run.bytes.size()) dir.queue.pop_front();
    if (static_cast<size_t>(n) < want) return true;  // socket full
  }
  if (dir.eof && dir.queue.empty() && !dir.shut_down) {
    shutdown(to, SHUT_WR);
    dir.shut_down = true;
  }
  return true;
}

int RunTcp(const Address& listen_at, const Address& target, const TcpShape& shape,
           uint64_t cut_after_bytes, const std::string& port_file) {
  int listen_fd = Socket(listen_at, SOCK_STREAM);
  const int one = 1;
  if (listen_fd >= 0) setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (listen_fd < 0 || bind(listen_fd, listen_at.get(), listen_at.length) != 0 ||
      listen(listen_fd, 64) != 0) {
    std::cerr << "fault_proxy: listen: " << std::strerror(errno) << "\n";
    return 1;
  }
  if (!WritePortFile(port_file, BoundPort(listen_fd))) return 1;
  std::vector<std::unique_ptr<Connection>> connections;
  uint64_t delivered = 0;  // target -> client, all connections
  const uint64_t limit = cut_after_bytes == 0 ? UINT64_MAX : cut_after_bytes;
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    std::vector<pollfd> fds;
    if (listen_fd >= 0) fds.push_back({listen_fd, POLLIN, 0});
    absl::Time next = absl::InfiniteFuture();
    const absl::Time now = absl::Now();
    for (const auto& c : connections) {
      short client_events = c->up.eof ? 0 : POLLIN;
      short target_events = c->down.eof ? 0 : POLLIN;
      if (!c->down.queue.empty()) {
        if (c->down.queue.front().at <= now) client_events |= POLLOUT;
        next = std::min(next, c->down.queue.front().at);
      }
      if (!c->up.queue.empty()) {
        if (c->up.queue.front().at <= now) target_events |= POLLOUT;
        next = std::min(next, c->up.queue.front().at);
      }
      fds.push_back({c->client_fd, client_events, 0});
      fds.push_back({c->target_fd, target_events, 0});
    }
    if (poll(fds.data(), fds.size(), TimeoutMs(next, now)) < 0 && errno != EINTR) return 1;
    const absl::Time t = absl::Now();
    if (listen_fd >= 0 && (fds[0].revents & POLLIN)) {
      const int client = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client >= 0) {
        // Blocking connect: the targets are on loopback or a local bridge.
        const int target_fd = socket(target.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (target_fd >= 0 && connect(target_fd, target.get(), target.length) == 0) {
          fcntl(target_fd, F_SETFL, fcntl(target_fd, F_GETFL) | O_NONBLOCK);
          setsockopt(target_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          connections.push_back(std::make_unique<Connection>(client, target_fd, shape));
        } else {
          if (target_fd >= 0) close(target_fd);
          Reset(client);
        }
      }
    }
    for (auto& c : connections) {
      bool ok =
          ReadInto(c->client_fd, c->up, t, buffer) && ReadInto(c->target_fd, c->down, t, buffer);
      uint64_t up_sent = 0;
      ok = ok && WriteDue(c->target_fd, c->up, t, &up_sent, UINT64_MAX);
      ok = ok && WriteDue(c->client_fd, c->down, t, &delivered, limit);
      if (delivered >= limit) {
        // The cut: every connection dies mid-stream, and nobody gets back in.
        for (auto& each : connections) {
          Reset(each->client_fd);
          Reset(each->target_fd);
          each->dead = true;
        }
        if (listen_fd >= 0) close(listen_fd);
        listen_fd = -1;
        std::cerr << "fault_proxy: cut after " << delivered << " bytes\n";
        break;
      }
      if (!ok) {
        Reset(c->client_fd);
        Reset(c->target_fd);
        c->dead = true;
      } else if (c->up.shut_down && c->down.shut_down) {
        close(c->client_fd);
        close(c->target_fd);
        c->dead = true;
      }
    }
    std::erase_if(connections, [](const auto& c) { return c->dead; });
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fault-injecting UDP/TCP relay for tests"};
  std::string listen_text = "127.0.0.1:0", target_text, port_file;
  bool tcp = false;
  double loss = 0, duplicate = 0, reorder = 0, mbit = 0;
  int delay_ms = 0;
  uint64_t seed = 1, cut_after_bytes = 0;
  app.add_option("--listen", listen_text, "HOST:PORT to listen on (port 0: any)")
      ->capture_default_str();
  app.add_option("--target", target_text, "HOST:PORT to relay to")->required();
  app.add_option("--port-file", port_file, "Write the bound port here once listening");
  app.add_flag("--tcp", tcp, "Relay TCP instead of UDP");
  app.add_option("--delay-ms", delay_ms, "One-way delay, each direction")
      ->check(CLI::Range(0, 10000));
  app.add_option("--loss", loss, "UDP: drop probability")->check(CLI::Range(0.0, 1.0));
  app.add_option("--duplicate", duplicate, "UDP: duplication probability")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--reorder", reorder, "UDP: probability of being held back 30 ms")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", seed, "UDP: fault sequence seed");
  app.add_option("--mbit", mbit, "TCP: rate cap per direction, Mbit/s (0: none)")
      ->check(CLI::Range(0.0, 100000.0));
  app.add_option("--cut-after-bytes", cut_after_bytes,
                 "TCP: cut every connection once this many bytes went target -> client");
  CLI11_PARSE(app, argc, argv);
  Address listen_at, target;
  if (!Resolve(listen_text, &listen_at) || !Resolve(target_text, &target)) return 2;
  if (tcp) {
    return RunTcp(listen_at, target,
                  {.delay = absl::Milliseconds(delay_ms), .bits_per_s = mbit * 1e6},
                  cut_after_bytes, port_file);
  }
  return RunUdp(listen_at, target,
                {.loss = loss,
                 .delay = absl::Milliseconds(delay_ms),
                 .duplicate = duplicate,
                 .reorder = reorder},
                seed, port_file);
}
