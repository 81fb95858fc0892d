#ifndef PYTORRENT_ADMIN_PEER_ADMIN_SERVICE_H_
#define PYTORRENT_ADMIN_PEER_ADMIN_SERVICE_H_

// The PeerAdmin gRPC service: validates each request (INVALID_ARGUMENT with
// an actionable message) and forwards it to a `peer::PeerControl`.
//
// Uses gRPC's synchronous API: PeerControl is thread-safe and answers
// promptly, and the one long call, WatchDownload, waits in bounded slices
// (at most kWatchSlice) so it notices client cancellation and server drain
// quickly. The server bounds the handler threads with a ResourceQuota.

#include "absl/time/time.h"
#include "admin/drain_signal.h"
#include "peer/peer_control.h"
#include "proto/admin.grpc.pb.h"

namespace pytorrent::admin {

inline constexpr absl::Duration kWatchSlice = absl::Milliseconds(100);
inline constexpr uint32_t kDefaultWatchIntervalMs = 250;

class PeerAdminService final : public v1::PeerAdmin::Service {
 public:
  // `node` and `drain` must outlive the service.
  PeerAdminService(peer::PeerControl& node, const DrainSignal& drain)
      : node_(node), drain_(drain) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::PeerStatus* response) override;
  grpc::Status ListPeers(grpc::ServerContext* context, const v1::ListPeersRequest* request,
                         v1::ListPeersResponse* response) override;
  grpc::Status ListSharedFiles(grpc::ServerContext* context,
                               const v1::ListSharedFilesRequest* request,
                               v1::ListSharedFilesResponse* response) override;
  grpc::Status SearchFiles(grpc::ServerContext* context, const v1::SearchFilesRequest* request,
                           v1::SearchFilesResponse* response) override;
  grpc::Status StartDownload(grpc::ServerContext* context, const v1::StartDownloadRequest* request,
                             v1::StartDownloadResponse* response) override;
  // First the current snapshot, then one update per change, at most one per
  // `min_interval_ms`; ends OK after a terminal state (COMPLETED, FAILED,
  // CANCELLED), CANCELLED when the client goes away, UNAVAILABLE on drain.
  grpc::Status WatchDownload(grpc::ServerContext* context, const v1::WatchDownloadRequest* request,
                             grpc::ServerWriter<v1::DownloadProgress>* writer) override;
  grpc::Status ListDownloads(grpc::ServerContext* context, const v1::ListDownloadsRequest* request,
                             v1::ListDownloadsResponse* response) override;
  grpc::Status CancelDownload(grpc::ServerContext* context,
                              const v1::CancelDownloadRequest* request,
                              v1::CancelDownloadResponse* response) override;
  grpc::Status ShareFile(grpc::ServerContext* context, const v1::ShareFileRequest* request,
                         v1::ShareFileResponse* response) override;
  grpc::Status SetSeeding(grpc::ServerContext* context, const v1::SetSeedingRequest* request,
                          v1::SetSeedingResponse* response) override;
  grpc::Status ChangeUsername(grpc::ServerContext* context,
                              const v1::ChangeUsernameRequest* request,
                              v1::ChangeUsernameResponse* response) override;
  grpc::Status UpdateSettings(grpc::ServerContext* context,
                              const v1::UpdateSettingsRequest* request,
                              v1::UpdateSettingsResponse* response) override;
  grpc::Status Disconnect(grpc::ServerContext* context, const v1::DisconnectRequest* request,
                          v1::DisconnectResponse* response) override;

 private:
  peer::PeerControl& node_;
  const DrainSignal& drain_;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_PEER_ADMIN_SERVICE_H_
