#ifndef PYTORRENT_PEER_CHUNK_LISTEN_H_
#define PYTORRENT_PEER_CHUNK_LISTEN_H_

// Where a peer listens for chunk requests, and what it tells the tracker
// about it.
//
// By default a peer listens on every interface, IPv6 and IPv4
// ("tcp://*:6881": ZeroMQ with its IPv6 option binds "::" dual-stack), so
// peers on other machines can reach it with no set-up. If the default port
// is taken (a second node on the same machine), the node takes any free
// port instead: the tracker learns the port from the announce, so nothing
// else has to know it. A port set by hand is never changed.
//
// The announce carries the bound port (`chunk_port`); the tracker pairs it
// with the address the announce came from. A specific bound address
// ("tcp://10.9.0.11:6881") is also sent as a claim, which only a tracker
// that trusts claimed hosts uses; a wildcard or an ipc:// endpoint is not.
//
// Example:
//   AnnouncedChunkAddress a = ForAnnounce("tcp://[::]:6881");
//   // a.chunk_port == 6881, a.claimed_endpoint == ""
//
// Pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace pytorrent::peer {

inline constexpr uint16_t kDefaultChunkPort = 6881;
inline constexpr char kDefaultChunkListen[] = "tcp://*:6881";

// The listen address to use when `listen`'s port is taken: any port on
// every interface for the default, "" (no fallback) for anything set by hand.
std::string FallbackChunkListen(std::string_view listen);

struct AnnouncedChunkAddress {
  // 0 when the endpoint is not tcp:// (the tracker lists no endpoint).
  uint32_t chunk_port = 0;
  // "tcp://HOST:PORT" for a specific bound host, else "".
  std::string claimed_endpoint;
};

// What to announce for `bound_endpoint`, the endpoint ZeroMQ reports
// after binding ("tcp://0.0.0.0:6881", "tcp://[::]:6881",
// "tcp://127.0.0.1:40123", "ipc:///x").
AnnouncedChunkAddress ForAnnounce(std::string_view bound_endpoint);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_CHUNK_LISTEN_H_
