#ifndef PYTORRENT_COMMON_HOST_PORT_H_
#define PYTORRENT_COMMON_HOST_PORT_H_

// The one parser for network addresses typed by people or read from config:
// "HOST:PORT" where HOST is a name ("tracker.lan"), an IPv4 literal
// ("10.9.0.1") or an IPv6 literal in brackets ("[2001:db8::1]", as RFC 3986
// writes it: without brackets the port could not be told apart). The peer's
// --tracker flag, its config file, UpdateSettings, the CLI and the tracker's
// --host all go through here, so an address that works in one place works
// in all of them.
//
// Example:
//   absl::StatusOr<HostPort> a = ParseHostPort("[::1]:6969");
//   // a->host == "::1" (brackets gone: what getaddrinfo wants), a->port == 6969
//   FormatHostPort(a->host, a->port);  // "[::1]:6969"
//
// Pure; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pytorrent {

// Longest host name (RFC 1035) and so the longest host accepted.
inline constexpr size_t kMaxHostBytes = 253;

struct HostPort {
  // A name or a numeric address, IPv6 without brackets.
  std::string host;
  uint16_t port = 0;
};

// Parses "HOST:PORT". `min_port` is 1 where 0 makes no sense (a tracker to
// reach), 0 where it means "any" (a port to bind). INVALID_ARGUMENT, saying
// what is wrong, for anything else (no port, bad port, an IPv6 literal
// without brackets, characters no host has).
absl::StatusOr<HostPort> ParseHostPort(std::string_view text, uint16_t min_port = 1);

// A host alone, as a config key or an UpdateSettings field holds it: a name,
// an IPv4 literal, or an IPv6 literal with or without brackets. Returns the
// host without brackets, or INVALID_ARGUMENT.
absl::StatusOr<std::string> ParseHost(std::string_view text);

// True when `host` (no brackets) is a numeric IPv6 address.
bool IsIpv6Literal(std::string_view host);

// "host:port", or "[host]:port" for an IPv6 literal.
std::string FormatHostPort(std::string_view host, uint16_t port);

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_HOST_PORT_H_
