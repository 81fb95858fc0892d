#ifndef PYTORRENT_ADMIN_ADMIN_SERVER_H_
#define PYTORRENT_ADMIN_ADMIN_SERVER_H_

// Runs the gRPC admin plane of a node: PeerAdmin or TrackerAdmin, plus the
// standard grpc.health.v1.Health service and server reflection (v1 and
// v1alpha).
//
// Secure by default: listens on a Unix domain socket (mode 0600). A TCP
// listener is opt-in and then requires TLS and a bearer token.
//
// Example (in peer/main.cc):
//   auto server = StartPeerAdminServer(node, {.unix_socket_path = home + "/state/admin.sock"});
//   if (!server.ok()) { std::cerr << server.status() << "\n"; return 1; }
//   ...
//   (*server)->Shutdown();  // health NOT_SERVING, drain, stop

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "peer/peer_control.h"
#include "tracker/tracker_control.h"

namespace pytorrent::admin {

// Every field has a default, so designated initializers may name any subset
// (no -Wmissing-field-initializers).
struct AdminServerOptions {
  // Listen here (created with mode 0600; an existing stale socket is
  // replaced). Empty: no Unix listener.
  std::string unix_socket_path{};
  // Optional "host:port" TCP listener (port 0 picks one). Requires all three
  // of the TLS certificate, key and token below.
  std::string tcp_address{};
  std::string tls_cert_file{};
  std::string tls_key_file{};
  // Bearer token required on the TCP listener. Never logged.
  std::string token{};
};

class AdminServer {
 public:
  virtual ~AdminServer() = default;
  // The TCP port actually bound, or 0 without a TCP listener.
  virtual int tcp_port() const = 0;
  // Health of the node and its service: SERVING or NOT_SERVING (e.g. a
  // tracker whose shared store is unreachable). Ignored after Shutdown.
  virtual void SetServing(bool serving) = 0;
  // Flips health to NOT_SERVING, ends download watches, lets calls in flight
  // finish for at most `grace`, then stops and removes the Unix socket.
  // Idempotent. Blocks until stopped, except when called from inside an
  // admin call (e.g. from PeerControl::Disconnect): then it returns at once
  // and the stop completes in the background (joined by the destructor).
  virtual void Shutdown(absl::Duration grace = absl::Seconds(2)) = 0;
};

// Starts serving PeerAdmin for `node`, which must outlive the server.
absl::StatusOr<std::unique_ptr<AdminServer>> StartPeerAdminServer(
    peer::PeerControl& node, const AdminServerOptions& options);

// Starts serving TrackerAdmin for `tracker`, which must outlive the server.
absl::StatusOr<std::unique_ptr<AdminServer>> StartTrackerAdminServer(
    tracker::TrackerControl& tracker, const AdminServerOptions& options);

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_ADMIN_SERVER_H_
