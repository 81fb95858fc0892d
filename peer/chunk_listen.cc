#include "peer/chunk_listen.h"

#include <charconv>

namespace pytorrent::peer {

std::string FallbackChunkListen(std::string_view listen) {
  if (listen == kDefaultChunkListen) return "tcp://*:0";
  return std::string();
}

AnnouncedChunkAddress ForAnnounce(std::string_view bound_endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  AnnouncedChunkAddress out;
  if (bound_endpoint.substr(0, kTcp.size()) != kTcp) return out;
  const std::string_view rest = bound_endpoint.substr(kTcp.size());
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return out;
  const std::string_view port_text = rest.substr(colon + 1);
  uint32_t port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return out;
  }
  out.chunk_port = port;
  const std::string_view host = rest.substr(0, colon);
  const bool wildcard = host == "*" || host == "0.0.0.0" || host == "[::]" || host == "::";
  if (!wildcard) out.claimed_endpoint = std::string(bound_endpoint);
  return out;
}

}  // namespace pytorrent::peer
