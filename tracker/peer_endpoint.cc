#include "tracker/peer_endpoint.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pytorrent::tracker {

namespace {

constexpr std::string_view kTcp = "tcp://";
// Longer claims are refused before they are looked at.
constexpr size_t kMaxClaimBytes = 200;

bool IsMappedIpv4(const SourceAddress& a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a.family == 6 && std::memcmp(a.address.data(), kPrefix, sizeof(kPrefix)) == 0;
}

// The IPv4 view of `a` (family 4, or IPv4-mapped IPv6), as 4 bytes.
const uint8_t* Ipv4Bytes(const SourceAddress& a) {
  if (a.family == 4) return a.address.data();
  if (IsMappedIpv4(a)) return a.address.data() + 12;
  return nullptr;
}

// A claimed "tcp://HOST:PORT": HOST as written (brackets removed), PORT.
struct Claim {
  std::string_view host;
  uint16_t port = 0;
};

absl::StatusOr<Claim> ParseClaim(std::string_view endpoint) {
  if (endpoint.size() > kMaxClaimBytes) {
    return absl::InvalidArgumentError("chunk_endpoint is too long");
  }
  if (endpoint.substr(0, kTcp.size()) != kTcp) {
    return absl::InvalidArgumentError(
        "chunk_endpoint must be tcp://HOST:PORT: the tracker relays no other scheme");
  }
  endpoint.remove_prefix(kTcp.size());
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError("chunk_endpoint must be tcp://HOST:PORT");
  }
  std::string_view host = endpoint.substr(0, colon);
  const std::string_view port_text = endpoint.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return absl::InvalidArgumentError("chunk_endpoint: an IPv6 host needs [brackets]");
    }
    host = host.substr(1, host.size() - 2);
  }
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
        c == '/' || c == '[' || c == ']') {
      return absl::InvalidArgumentError("chunk_endpoint: the host has characters no host has");
    }
  }
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(port_text[0])) ||
      !absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) ||
      port == 0 || port > 65535) {
    return absl::InvalidArgumentError("chunk_endpoint: the port must be 1..65535");
  }
  return Claim{.host = host, .port = static_cast<uint16_t>(port)};
}

// `host` as a specific (not wildcard) IPv4 or IPv6 address, or nullopt.
std::optional<SourceAddress> SpecificAddress(std::string_view host) {
  if (host.size() > 45) return std::nullopt;
  const std::string text(host);
  SourceAddress a;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    a.family = 4;
    std::memcpy(a.address.data(), &v4, 4);
    if (v4.s_addr == 0) return std::nullopt;
  } else if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    a.family = 6;
    std::memcpy(a.address.data(), &v6, 16);
    if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return a;
}

}  // namespace

std::string TcpEndpoint(const SourceAddress& address, uint16_t port) {
  if (const uint8_t* v4 = Ipv4Bytes(address)) {
    return absl::StrCat("tcp://", int{v4[0]}, ".", int{v4[1]}, ".", int{v4[2]}, ".", int{v4[3]},
                        ":", port);
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, address.address.data(), text, sizeof(text));
  return absl::StrCat("tcp://[", text, "]:", port);
}

bool IsLoopback(const SourceAddress& address) {
  if (const uint8_t* v4 = Ipv4Bytes(address)) return v4[0] == 127;
  if (address.family != 6) return false;
  static constexpr std::array<uint8_t, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                         0, 0, 0, 0, 0, 0, 0, 1};
  return address.address == kLoopback6;
}

bool IsLoopbackEndpoint(std::string_view endpoint) {
  return endpoint.substr(0, 10) == "tcp://127." || endpoint.substr(0, 12) == "tcp://[::1]:";
}

absl::StatusOr<std::string> BuildPeerEndpoint(const v1::AnnounceRequest& announce,
                                              const SourceAddress& from,
                                              const EndpointPolicy& policy) {
  if (from.family != 4 && from.family != 6) {
    return absl::InvalidArgumentError("the announce came from neither IPv4 nor IPv6");
  }
  if (announce.chunk_port() > 65535) {
    return absl::InvalidArgumentError("chunk_port must be 0..65535");
  }
  std::optional<Claim> claim;
  if (!announce.chunk_endpoint().empty()) {
    absl::StatusOr<Claim> parsed = ParseClaim(announce.chunk_endpoint());
    if (!parsed.ok()) return parsed.status();
    claim = *parsed;
  }
  if (policy.trust_claimed_hosts && claim.has_value()) {
    if (std::optional<SourceAddress> host = SpecificAddress(claim->host)) {
      return TcpEndpoint(*host, claim->port);
    }
  }
  uint16_t port = static_cast<uint16_t>(announce.chunk_port());
  if (port == 0 && claim.has_value()) port = claim->port;
  if (port == 0) return std::string();
  return TcpEndpoint(from, port);
}

}  // namespace pytorrent::tracker
