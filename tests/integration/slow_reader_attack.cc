#include "tests/integration/slow_reader_attack.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "proto/wire.pb.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

// ZMTP 3.0 greeting: signature, version 3.0, mechanism NULL, as-server 0.
std::string Greeting() {
  std::string g(64, '\0');
  g[0] = '\xff';
  g[9] = '\x7f';
  g[10] = 3;
  g[11] = 0;
  std::memcpy(&g[12], "NULL", 4);
  return g;
}

// READY command with Socket-Type DEALER (a short command frame).
std::string Ready() {
  std::string body = "\x05READY";
  const std::string name = "Socket-Type", value = "DEALER";
  body.push_back(static_cast<char>(name.size()));
  body += name;
  body.append({0, 0, 0, static_cast<char>(value.size())});
  body += value;
  std::string frame = {'\x04', static_cast<char>(body.size())};
  return frame + body;
}

std::string Frame(std::string_view body) {
  std::string out;
  if (body.size() < 256) {
    out = {'\x00', static_cast<char>(body.size())};
  } else {
    out.push_back('\x02');
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
  }
  out.append(body);
  return out;
}

std::map<std::string, std::string> ParseCounters(const std::string& path) {
  return LastJsonLineWith(ReadFile(path), "chunks_served");
}

uint64_t U64(const std::map<std::string, std::string>& m, const std::string& key) {
  uint64_t v = 0;
  auto it = m.find(key);
  if (it != m.end()) (void)absl::SimpleAtoi(it->second, &v);
  return v;
}

// One leecher run: true if it completed with `want_sha`; `seconds` is its
// own measure.
bool Leech(const std::string& home, const std::string& tracker, const std::string& root_hex,
           const std::string& want_sha, absl::Duration timeout, double& seconds) {
  auto leecher = PeerProcess::Start(
      {.home = home,
       .args = {"--tracker", tracker, "--download", root_hex, "--no-reseed", "--log-level", "warn"},
       .wait_ready = false});
  if (!leecher.ok()) return false;
  const int code = (*leecher)->Wait(timeout);
  auto result = LastJsonLineWith((*leecher)->Stdout(), "state");
  (void)absl::SimpleAtod(result["seconds"], &seconds);
  return code == 0 && result["sha256"] == want_sha;
}

}  // namespace

uint64_t ProcStatusBytes(pid_t pid, std::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) != 0) continue;
    std::istringstream fields(line.substr(field.size()));
    uint64_t kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<RawZmtpClient>> RawZmtpClient::Connect(const std::string& endpoint,
                                                                      int receive_buffer_bytes) {
  const std::string prefix = "tcp://";
  const size_t colon = endpoint.rfind(':');
  uint32_t port = 0;
  if (endpoint.rfind(prefix, 0) != 0 || colon == std::string::npos ||
      !absl::SimpleAtoi(endpoint.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("expected tcp://HOST:PORT, got " + endpoint);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  const std::string host = endpoint.substr(prefix.size(), colon - prefix.size());
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError("not an IPv4 address: " + host);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(std::strerror(errno));
  auto client = std::unique_ptr<RawZmtpClient>(new RawZmtpClient(fd));
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(receive_buffer_bytes));
  }
  timeval send_timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect ", endpoint, ": ", std::strerror(errno)));
  }
  if (absl::Status s = client->SendRaw(Greeting() + Ready()); !s.ok()) return s;
  // A ZMTP peer sends messages only once the handshake is over: libzmq
  // closes a connection whose first message arrives before its own READY
  // went out (a protocol error), which made the attack flaky under load.
  if (absl::Status s = client->AwaitHandshake(absl::Seconds(10)); !s.ok()) return s;
  return client;
}

absl::Status RawZmtpClient::ReceiveExactly(size_t n, absl::Time deadline, std::string& out) {
  out.resize(n);
  size_t got = 0;
  while (got < n) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return absl::DeadlineExceededError("ZMTP handshake: no answer in time");
    pollfd item{fd_, POLLIN, 0};
    if (::poll(&item, 1, static_cast<int>(left_ms)) <= 0) continue;
    const ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
    if (r == 0) return absl::UnavailableError("ZMTP handshake: connection closed");
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(absl::StrCat("ZMTP handshake: ", std::strerror(errno)));
    }
    got += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

absl::Status RawZmtpClient::AwaitHandshake(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string bytes;
  // The seeder's 64-byte greeting, then its READY command.
  if (absl::Status s = ReceiveExactly(64, deadline, bytes); !s.ok()) return s;
  if (static_cast<uint8_t>(bytes[0]) != 0xff || bytes[9] != '\x7f') {
    return absl::DataLossError("ZMTP handshake: not a ZMTP greeting");
  }
  if (absl::Status s = ReceiveExactly(2, deadline, bytes); !s.ok()) return s;
  const uint8_t flags = static_cast<uint8_t>(bytes[0]);
  if (flags != 0x04) return absl::DataLossError("ZMTP handshake: expected a short READY command");
  const size_t size = static_cast<uint8_t>(bytes[1]);
  if (absl::Status s = ReceiveExactly(size, deadline, bytes); !s.ok()) return s;
  if (bytes.rfind("\x05READY", 0) != 0) {
    return absl::DataLossError("ZMTP handshake: expected READY");
  }
  return absl::OkStatus();
}

RawZmtpClient::~RawZmtpClient() { ::close(fd_); }

absl::Status RawZmtpClient::SendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status RawZmtpClient::SendMessage(std::string_view body) { return SendRaw(Frame(body)); }

bool RawZmtpClient::WaitClosedByPeer(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  char buffer[4096];
  while (absl::Now() < deadline) {
    pollfd item{fd_, POLLIN, 0};
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (::poll(&item, 1, static_cast<int>(std::max<int64_t>(1, left_ms))) <= 0) continue;
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n == 0) return true;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // reset
  }
  return false;
}

absl::StatusOr<SlowReaderReport> RunSlowReaderAttack(const SlowReaderOptions& options) {
  SlowReaderReport report;
  auto tracker = TrackerProcess::Start({.dir = options.dir + "/tracker"});
  if (!tracker.ok()) return tracker.status();
  const std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  const std::string source = options.dir + "/seeder/user/shared_files/big.bin";
  WriteRandomFile(source, options.file_bytes, 7);
  const std::string root_hex = RootHexOf(source, 256);
  const std::string want_sha = FileSha256Hex(source);
  Sha256Digest root{};
  if (!DigestFromHex(root_hex, root)) return absl::InternalError("no root for the shared file");
  auto seeder =
      PeerProcess::Start({.home = options.dir + "/seeder",
                          .args = {"--tracker", addr, "--serve-budget-mib",
                                   absl::StrCat(options.budget_mib), "--log-level", "warn"}});
  if (!seeder.ok()) return seeder.status();
  std::string endpoint = ReadFile(options.dir + "/seeder/state/chunk_endpoint");
  endpoint.erase(endpoint.find_last_not_of("\n") + 1);
  report.seeder_rss_start_bytes = ProcStatusBytes((*seeder)->pid(), "VmRSS:");

  report.undisturbed_ok = Leech(options.dir + "/leecher1", addr, root_hex, want_sha,
                                options.download_timeout, report.undisturbed_seconds);

  // The attack: every attacker sends all its requests, then reads nothing.
  const uint32_t chunk_count = static_cast<uint32_t>((options.file_bytes + (256 << 10) - 1) >> 18);
  std::vector<std::unique_ptr<RawZmtpClient>> attackers;
  for (int a = 0; a < options.attackers; ++a) {
    auto client = RawZmtpClient::Connect(endpoint, /*receive_buffer_bytes=*/4096);
    if (!client.ok()) {
      if (report.attacker_error.empty()) report.attacker_error = client.status().ToString();
      continue;
    }
    bool sent_all = true;
    for (int r = 0; r < options.requests_per_attacker && sent_all; ++r) {
      v1::PeerMessage request;
      request.mutable_chunk_request()->set_root_hash(DigestToBytes(root));
      request.mutable_chunk_request()->set_chunk_index(static_cast<uint32_t>(a * 31 + r) %
                                                       std::max<uint32_t>(1, chunk_count));
      absl::Status sent = (*client)->SendMessage(request.SerializeAsString());
      if (!sent.ok() && report.attacker_error.empty()) {
        report.attacker_error = absl::StrCat("request ", r, ": ", sent.ToString());
      }
      sent_all = sent.ok();
    }
    if (sent_all) ++report.attackers_connected;
    attackers.push_back(*std::move(client));
  }
  report.attacked_ok = Leech(options.dir + "/leecher2", addr, root_hex, want_sha,
                             options.download_timeout, report.attacked_seconds);
  report.seeder_peak_rss_bytes = ProcStatusBytes((*seeder)->pid(), "VmHWM:");
  attackers.clear();
  // Give the seeder's loop a moment to see the connections go (bounded poll
  // on its memory settling rather than a fixed sleep).
  uint64_t previous = 0;
  for (int i = 0; i < 20; ++i) {
    report.seeder_rss_after_bytes = ProcStatusBytes((*seeder)->pid(), "VmRSS:");
    if (report.seeder_rss_after_bytes == previous) break;
    previous = report.seeder_rss_after_bytes;
    ::usleep(100 * 1000);
  }
  if ((*seeder)->Stop() != 0) return absl::InternalError("seeder did not stop cleanly");
  auto counters = ParseCounters(options.dir + "/seeder/state/counters.json");
  report.requests_throttled = U64(counters, "requests_throttled");
  report.requesters_dropped = U64(counters, "requesters_dropped");
  report.serving_peak_bytes = U64(counters, "serving_peak_bytes");
  report.chunks_served = U64(counters, "chunks_served");
  return report;
}

}  // namespace pytorrent::testing
