#ifndef PYTORRENT_ADMIN_ADMIN_CLIENT_H_
#define PYTORRENT_ADMIN_ADMIN_CLIENT_H_

// The CLI's gRPC client for PeerAdmin (and TrackerAdmin): one method per RPC, each bounded by a
// deadline (except the download watch), errors as absl::Status. When the
// node cannot be reached at all the status is UNAVAILABLE with a message that
// names the address and suggests what to check.
//
// Example:
//   auto client = AdminClient::Create({.target = "unix:" + home + "/state/admin.sock"});
//   absl::StatusOr<v1::PeerStatus> status = (*client)->GetStatus();
//
// Thread-compatible.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "admin/unix_socket_path.h"
#include "grpcpp/channel.h"
#include "proto/admin.grpc.pb.h"

namespace pytorrent::admin {

struct ClientOptions {
  // "unix:/path/admin.sock" or "host:port".
  std::string target{};
  // TCP only: TLS with this CA bundle (PEM file; empty: system roots) and
  // the bearer token. A TCP target always uses TLS.
  std::string tls_ca_file{};
  std::string token{};
  absl::Duration call_timeout = absl::Seconds(10);
};

class AdminClient {
 public:
  // INVALID_ARGUMENT for a TCP target without a token or a malformed Unix
  // path, NOT_FOUND for an unreadable CA file, UNAVAILABLE ("cannot reach the
  // node ...") when a Unix socket's folder does not exist. A Unix socket is
  // dialed through its folder's /proc/self/fd alias (admin/unix_socket_path.h),
  // so its path may be longer than sun_path. Does not connect yet.
  static absl::StatusOr<std::unique_ptr<AdminClient>> Create(const ClientOptions& options);

  const std::string& target() const { return target_; }

  absl::StatusOr<v1::PeerStatus> GetStatus();
  absl::StatusOr<v1::ListPeersResponse> ListPeers();
  absl::StatusOr<v1::ListSharedFilesResponse> ListSharedFiles();
  absl::StatusOr<v1::SearchFilesResponse> SearchFiles(const std::string& query);
  absl::StatusOr<uint64_t> StartDownload(const v1::StartDownloadRequest& request);
  // Streams progress into `on_update` until the download ends; returns the
  // last snapshot. No deadline: it ends with the download or the node.
  absl::StatusOr<v1::DownloadProgress> WatchDownload(
      uint64_t download_id, uint32_t min_interval_ms,
      const std::function<void(const v1::DownloadProgress&)>& on_update);
  absl::StatusOr<v1::ListDownloadsResponse> ListDownloads();
  absl::Status CancelDownload(uint64_t download_id);
  absl::StatusOr<v1::SharedFile> ShareFile(const std::string& path);
  absl::Status SetSeeding(const std::string& root_hash, bool seeding);
  absl::Status ChangeUsername(const std::string& new_username);
  absl::Status UpdateSettings(const v1::UpdateSettingsRequest& request);
  absl::Status Disconnect();

  // TrackerAdmin (when the target is a tracker's admin socket). The list
  // calls follow every page.
  absl::StatusOr<v1::TrackerStats> GetTrackerStats();
  absl::StatusOr<v1::ListSwarmsResponse> ListSwarms();
  absl::StatusOr<v1::ListTrackerPeersResponse> ListTrackerPeers();
  absl::Status EvictPeer(uint64_t peer_id);

 private:
  AdminClient(std::string target, std::optional<UnixSocketPath> socket,
              std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  void Prepare(grpc::ClientContext& context) const;
  // Converts a failed call, rewording transport failures.
  absl::Status Failed(const grpc::Status& status) const;

  std::string target_;  // as given, for messages
  // Unix targets: the socket's folder, whose /proc/self/fd alias the channel
  // dials; declared before channel_ so it is closed after it.
  std::optional<UnixSocketPath> socket_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PeerAdmin::Stub> stub_;
  std::unique_ptr<v1::TrackerAdmin::Stub> tracker_stub_;
  absl::Duration timeout_;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_ADMIN_CLIENT_H_
