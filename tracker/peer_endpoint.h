#ifndef PYTORRENT_TRACKER_PEER_ENDPOINT_H_
#define PYTORRENT_TRACKER_PEER_ENDPOINT_H_

// `BuildPeerEndpoint` decides which chunk endpoint the tracker lists for a
// peer, from the announce and the address the announce came from. As in
// BitTorrent (BEP 15: the port comes from the announce, the host from the
// datagram's source; a claimed IP is ignored unless the tracker trusts it):
//
// - The endpoint is always "tcp://HOST:PORT" built here: IPv4 as
//   "tcp://10.9.0.11:6881", IPv6 as "tcp://[2001:db8::11]:6881". No other
//   scheme is ever relayed (a claimed "ipc://", "inproc://", "pgm://" ...
//   makes the announce MALFORMED), so a hostile peer cannot point leechers
//   at a third party's port or at a local socket of theirs.
// - HOST is the announce's source address, unless the policy trusts
//   claimed hosts and `chunk_endpoint` names a specific IP address (for a
//   peer behind a port forward or a proxy); a claimed name or a wildcard
//   (0.0.0.0, ::) is never used as a host.
// - PORT is `chunk_port`, or, for peers that only send `chunk_endpoint`
//   (older ones), that endpoint's port. Neither: the peer serves nothing and
//   the endpoint is empty.
//
// Example:
//   absl::StatusOr<std::string> endpoint = BuildPeerEndpoint(announce, from, {});
//   // announce.chunk_port() == 6881 from 10.9.0.11 -> "tcp://10.9.0.11:6881"
//
// Pure (no I/O, no clock); thread-safe.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "proto/tracker.pb.h"
#include "tracker/connection_id.h"

namespace pytorrent::tracker {

struct EndpointPolicy {
  // Use the host a peer claims in `chunk_endpoint` (an IP address) instead
  // of the announce's source address. Off by default: only for trackers
  // whose peers sit behind port forwards or proxies and are trusted.
  bool trust_claimed_hosts = false;
};

// The endpoint to list for the announcing peer ("" if it serves nothing).
// INVALID_ARGUMENT: `chunk_port` over 65535, a `chunk_endpoint` that is not
// "tcp://HOST:PORT" with a port 1..65535, or a source address that is
// neither IPv4 nor IPv6.
absl::StatusOr<std::string> BuildPeerEndpoint(const v1::AnnounceRequest& announce,
                                              const SourceAddress& from,
                                              const EndpointPolicy& policy);

// "tcp://a.b.c.d:port" or "tcp://[v6]:port" for `address` (its port
// ignored) and `port`. An IPv4-mapped IPv6 address is written as IPv4.
std::string TcpEndpoint(const SourceAddress& address, uint16_t port);

// True for a loopback source (127.0.0.0/8, ::1, or IPv4-mapped loopback).
bool IsLoopback(const SourceAddress& address);

// True for an endpoint this file built on a loopback host
// ("tcp://127.x.y.z:port", "tcp://[::1]:port"): useful only to peers on the
// tracker's own machine.
bool IsLoopbackEndpoint(std::string_view endpoint);

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_PEER_ENDPOINT_H_
