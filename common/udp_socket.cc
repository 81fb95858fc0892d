#include "common/udp_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"

namespace pytorrent {

absl::StatusOr<int> OpenUdpSocket(const std::string& host, uint16_t port, UdpRole role,
                                  bool nonblocking) {
  // "[::1]" as people write it; getaddrinfo wants "::1".
  absl::StatusOr<std::string> bare = ParseHost(host);
  if (!bare.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", host, ": ", bare.status().message()));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | (role == UdpRole::kBind ? AI_PASSIVE : 0);
  addrinfo* result = nullptr;
  const std::string service = absl::StrCat(port);
  if (int rc = getaddrinfo(bare->c_str(), service.c_str(), &hints, &result); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  int fd = -1;
  std::string last_error = "no address";
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0),
                ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (role == UdpRole::kBind && ai->ai_family == AF_INET6) {
      // Dual stack: "::" takes IPv4 too (as IPv4-mapped addresses), whatever
      // the system's net.ipv6.bindv6only says.
      const int off = 0;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    }
    const int rc = role == UdpRole::kBind ? bind(fd, ai->ai_addr, ai->ai_addrlen)
                                          : connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0) break;
    last_error = std::strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(result);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat(role == UdpRole::kBind ? "cannot bind UDP " : "cannot reach UDP ", host, ":",
                     port, ": ", last_error));
  }
  return fd;
}

}  // namespace pytorrent
