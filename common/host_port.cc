#include "common/host_port.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pytorrent {

namespace {

// Letters, digits, '.', '-', '_' (names and IPv4), ':' and '%' (IPv6 with a
// zone such as fe80::1%eth0).
// absl 20220623 has its own string_view, which StrCat wants.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
         c == ':' || c == '%';
}

}  // namespace

bool IsIpv6Literal(std::string_view host) {
  if (host.empty() || host.size() > 64) return false;
  // A zone ("%eth0") is not part of the address inet_pton reads.
  const std::string address(host.substr(0, host.find('%')));
  in6_addr out{};
  return inet_pton(AF_INET6, address.c_str(), &out) == 1;
}

absl::StatusOr<std::string> ParseHost(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("the host is empty");
  const bool bracketed = text.front() == '[';
  if (bracketed) {
    if (text.size() < 3 || text.back() != ']') {
      return absl::InvalidArgumentError(absl::StrCat("'", Absl(text.substr(0, 80)),
                                                     "': a '[' needs a closing ']' (as in [::1])"));
    }
    text = text.substr(1, text.size() - 2);
  }
  if (text.size() > kMaxHostBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the host is ", text.size(), " bytes; the limit is ", kMaxHostBytes));
  }
  for (char c : text) {
    if (!IsHostChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", Absl(text.substr(0, 80)),
                       "' is not a host: use a name, an IPv4 address or an IPv6 address"));
    }
  }
  const bool has_colon = text.find(':') != std::string_view::npos;
  if (has_colon && !IsIpv6Literal(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", Absl(text.substr(0, 80)), "' is not an IPv6 address"));
  }
  if (bracketed && !has_colon) {
    return absl::InvalidArgumentError(
        absl::StrCat("'[", Absl(text.substr(0, 80)), "]': brackets are only for IPv6 addresses"));
  }
  return std::string(text);
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view text, uint16_t min_port) {
  if (text.size() > kMaxHostBytes + 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("the address is ", text.size(), " bytes; the limit is ", kMaxHostBytes + 8));
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", Absl(text), "' must be HOST:PORT (an IPv6 host in brackets: [::1]:6969)"));
  }
  std::string_view host_text = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  // "::1:6969" or "2001:db8::1": a bare IPv6 address, whose last group
  // would be read as a port.
  if (host_text.front() != '[' && host_text.find(':') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", Absl(text),
                                                   "': write an IPv6 address in brackets, as in [",
                                                   Absl(host_text), "]:PORT"));
  }
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 || !absl::SimpleAtoi(Absl(port_text), &port) ||
      port < min_port || port > 65535 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(port_text[0]))) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", Absl(text), "': the port must be ", min_port, "..65535"));
  }
  absl::StatusOr<std::string> host = ParseHost(host_text);
  if (!host.ok()) return host.status();
  return HostPort{.host = *std::move(host), .port = static_cast<uint16_t>(port)};
}

std::string FormatHostPort(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) return absl::StrCat("[", Absl(host), "]:", port);
  return absl::StrCat(Absl(host), ":", port);
}

}  // namespace pytorrent
