#ifndef PYTORRENT_COMMON_UDP_SOCKET_H_
#define PYTORRENT_COMMON_UDP_SOCKET_H_

// Opens the UDP socket of either side of the tracker protocol: the tracker
// binds its listening address, a peer connects to its tracker (connect()
// makes the kernel drop datagrams from anyone else). `host` may be a name
// or a numeric IPv4/IPv6 address (with or without [brackets]); every address
// it resolves to is tried in order until one works. An IPv6 socket that
// binds is dual-stack (IPV6_V6ONLY off): binding "::" serves IPv4 too.
//
// Example:
//   absl::StatusOr<int> fd = OpenUdpSocket("tracker.lan", 6969, UdpRole::kConnect);
//
// Thread-safe (getaddrinfo may block on DNS).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace pytorrent {

enum class UdpRole {
  kBind,     // passive: the host to listen on ("0.0.0.0", "::", a name)
  kConnect,  // the host to talk to
};

// A close-on-exec UDP socket (non-blocking with `nonblocking`), owned by the
// caller. INVALID_ARGUMENT if `host` does not resolve; UNAVAILABLE, with the
// last error, if no resolved address could be bound or connected.
absl::StatusOr<int> OpenUdpSocket(const std::string& host, uint16_t port, UdpRole role,
                                  bool nonblocking = false);

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_UDP_SOCKET_H_
