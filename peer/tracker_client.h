#ifndef PYTORRENT_PEER_TRACKER_CLIENT_H_
#define PYTORRENT_PEER_TRACKER_CLIENT_H_

// The peer's side of the UDP tracker protocol (proto/tracker.proto).
//
// Example:
//   auto client = TrackerClient::Create({.host = "127.0.0.1", .port = 6969});
//   if (!client.ok()) return client.status();
//   absl::StatusOr<v1::GetFilePeersResponse> peers = (*client)->GetFilePeers(request);
//
// Handles the BEP 15 style handshake (connect, cache the connection id,
// reconnect when it expires or the tracker says BAD_CONNECTION_ID),
// transaction-id matching (stray or late datagrams are ignored), and
// timeouts with exponential backoff: attempt n waits initial_timeout * 2^n
// (at most max_timeout).
//
// Error mapping: tracker errors keep their meaning as absl codes:
// USERNAME_TAKEN -> ALREADY_EXISTS, NOT_OWNER -> PERMISSION_DENIED,
// UNKNOWN_PEER / NOT_FOUND -> NOT_FOUND, CAPACITY -> RESOURCE_EXHAUSTED,
// MALFORMED -> INVALID_ARGUMENT; no answer after every retry -> UNAVAILABLE.
//
// Thread-safe: calls from several threads are serialized internally.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/tracker.pb.h"

namespace pytorrent::peer {

struct TrackerClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // First wait for a reply; doubled on every retry (BEP 15 uses 15 s).
  absl::Duration initial_timeout = absl::Seconds(15);
  // Retries after the first attempt (BEP 15 uses 8).
  int max_retries = 8;
  // The longest wait for one attempt: the doubling stops here, so more
  // retries (for lossy paths) do not make a dead tracker take minutes.
  absl::Duration max_timeout = absl::InfiniteDuration();
};

class TrackerClient {
 public:
  virtual ~TrackerClient() = default;

  // Resolves `options.host` and opens a UDP socket. INVALID_ARGUMENT for a
  // bad address; no datagram is sent yet.
  static absl::StatusOr<std::unique_ptr<TrackerClient>> Create(const TrackerClientOptions& options);

  // Registers or refreshes the peer. Set `request.peers_for_root_hash` (and
  // optionally `max_peers`) to get that file's peers in the same reply
  // (AnnounceResponse.peers and .file), as a BEP 15 announce does: one
  // datagram instead of an announce plus a GetFilePeers.
  virtual absl::StatusOr<v1::AnnounceResponse> Announce(const v1::AnnounceRequest& request) = 0;
  // Unregisters the peer. Best effort with a short deadline (1 s in all for
  // the real client; DEADLINE_EXCEEDED after it), since it runs on shutdown
  // and the tracker expires silent peers anyway.
  virtual absl::Status Leave(uint64_t peer_id, uint64_t peer_key) = 0;
  virtual absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) = 0;
  virtual absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) = 0;
  virtual absl::StatusOr<v1::GetFilePeersResponse> GetFilePeers(
      const v1::GetFilePeersRequest& request) = 0;
  virtual absl::Status Rename(uint64_t peer_id, uint64_t peer_key,
                              const std::string& new_username) = 0;
  virtual absl::StatusOr<v1::GetStatsResponse> GetStats() = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRACKER_CLIENT_H_
