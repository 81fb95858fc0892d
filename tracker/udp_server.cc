#include "tracker/udp_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/udp_socket.h"

namespace pytorrent::tracker {

namespace {

// Receive slots hold one byte more than the largest request, so anything
// larger arrives with that length (truncated) and the handler drops it.
constexpr size_t kSlotBytes = 8192 + 1;
// The largest reply the handler may write.
constexpr size_t kReplyBytes = 1200;

SourceAddress FromSockaddr(const sockaddr_storage& ss) {
  SourceAddress a;
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    a = SourceAddress::Ipv4(ntohl(in.sin_addr.s_addr), ntohs(in.sin_port));
  } else if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      // An IPv4 client of the dual-stack socket: the same source address
      // (connection id, listed endpoint) as on an IPv4 socket.
      uint32_t ip = 0;
      std::memcpy(&ip, reinterpret_cast<const uint8_t*>(&in6.sin6_addr) + 12, 4);
      return SourceAddress::Ipv4(ntohl(ip), ntohs(in6.sin6_port));
    }
    a.family = 6;
    std::memcpy(a.address.data(), &in6.sin6_addr, 16);
    a.port = ntohs(in6.sin6_port);
  }
  return a;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpServer>> UdpServer::Bind(const UdpServerOptions& options) {
  absl::StatusOr<int> opened =
      OpenUdpSocket(options.host, options.port, UdpRole::kBind, /*nonblocking=*/true);
  if (!opened.ok()) return opened.status();
  const int fd = *opened;
  int buffer = options.socket_buffer_bytes;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const uint16_t bound_port = FromSockaddr(bound).port;
  const int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return std::unique_ptr<UdpServer>(new UdpServer(fd, stop_fd, bound_port, options));
}

UdpServer::UdpServer(int fd, int stop_fd, uint16_t port, const UdpServerOptions& options)
    : fd_(fd), stop_fd_(stop_fd), port_(port), options_(options) {}

UdpServer::~UdpServer() {
  close(fd_);
  close(stop_fd_);
}

void UdpServer::Stop() {
  stop_.store(true, std::memory_order_relaxed);
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
}

void UdpServer::Run(DatagramHandler& handler) {
  const int batch = std::max(1, std::min(options_.batch, 1024));
  std::vector<uint8_t> in_buf(static_cast<size_t>(batch) * kSlotBytes);
  std::vector<uint8_t> out_buf(static_cast<size_t>(batch) * kReplyBytes);
  std::vector<sockaddr_storage> addrs(batch);
  std::vector<iovec> in_iov(batch), out_iov(batch);
  std::vector<mmsghdr> in_msgs(batch), out_msgs(batch);
  std::vector<DatagramHandler::Datagram> datagrams(batch);
  for (int i = 0; i < batch; ++i) {
    in_iov[i] = {in_buf.data() + static_cast<size_t>(i) * kSlotBytes, kSlotBytes};
  }
  absl::Time next_tick = absl::Now() + absl::Seconds(1);
  while (!stop_.load(std::memory_order_relaxed)) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int timeout_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(next_tick - absl::Now())));
    const int ready = poll(fds, 2, timeout_ms + 1);
    if (ready < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) break;  // Stop()
    // Drain the socket in batches; bounded so posted tasks and ticks run.
    for (int round = 0; round < 64 && (fds[0].revents & POLLIN); ++round) {
      for (int i = 0; i < batch; ++i) {
        in_msgs[i] = {};
        in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
        in_msgs[i].msg_hdr.msg_iovlen = 1;
        in_msgs[i].msg_hdr.msg_name = &addrs[i];
        in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      }
      const int got =
          recvmmsg(fd_, in_msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
      if (got <= 0) break;
      const absl::Time now = absl::Now();
      for (int i = 0; i < got; ++i) {
        datagrams[i] = {
            .in = absl::Span<const uint8_t>(in_buf.data() + static_cast<size_t>(i) * kSlotBytes,
                                            std::min<size_t>(in_msgs[i].msg_len, kSlotBytes)),
            .from = FromSockaddr(addrs[i]),
            .out = absl::Span<uint8_t>(out_buf.data() + static_cast<size_t>(i) * kReplyBytes,
                                       kReplyBytes),
            .reply_bytes = 0};
      }
      handler.OnBatch(absl::Span<DatagramHandler::Datagram>(datagrams.data(), got), now);
      int replies = 0;
      for (int i = 0; i < got; ++i) {
        const mmsghdr& m = in_msgs[i];
        const size_t n = datagrams[i].reply_bytes;
        if (n == 0) continue;
        out_iov[replies] = {datagrams[i].out.data(), n};
        out_msgs[replies] = {};
        out_msgs[replies].msg_hdr.msg_iov = &out_iov[replies];
        out_msgs[replies].msg_hdr.msg_iovlen = 1;
        out_msgs[replies].msg_hdr.msg_name = &addrs[i];
        out_msgs[replies].msg_hdr.msg_namelen = m.msg_hdr.msg_namelen;
        ++replies;
      }
      if (replies > 1) {
        // Replies to one client back to back: it then drains them in one
        // wake-up instead of being woken again for each interleaved reply.
        // Stable without std::stable_sort's per-call heap buffer: ties keep
        // arrival order, which the reply buffers' addresses record.
        std::sort(out_msgs.begin(), out_msgs.begin() + replies,
                  [](const mmsghdr& a, const mmsghdr& b) {
                    const int c =
                        std::memcmp(a.msg_hdr.msg_name, b.msg_hdr.msg_name, sizeof(sockaddr_in6));
                    return c != 0 ? c < 0 : a.msg_hdr.msg_iov < b.msg_hdr.msg_iov;
                  });
      }
      int sent = 0;
      while (sent < replies) {
        const int n = sendmmsg(fd_, out_msgs.data() + sent, static_cast<unsigned>(replies - sent),
                               MSG_DONTWAIT);
        if (n < 0) {
          if (errno == EINTR) continue;
          // Full send buffer or an unreachable peer: UDP may drop; skip one.
          ++sent;
          continue;
        }
        sent += n;
      }
      if (got < batch) break;
    }
    const absl::Time now = absl::Now();
    if (now >= next_tick) {
      handler.OnTick(now);
      next_tick = now + absl::Seconds(1);
    }
  }
}

}  // namespace pytorrent::tracker
