#ifndef PYTORRENT_ADMIN_PEER_ADMIN_SERVICE_H_
#define PYTORRENT_ADMIN_PEER_ADMIN_SERVICE_H_

// The PeerAdmin gRPC service: validates each request (INVALID_ARGUMENT with
// an actionable message) and forwards it to a `peer::PeerControl`.
//
// Quick calls use gRPC's synchronous API (PeerControl is thread-safe and
// answers them promptly); WatchDownload waits in bounded slices (at most
// kWatchSlice) so it notices client cancellation and server drain quickly.
// Calls that may take long — a tracker round trip with its retries
// (ListPeers, SearchFiles, StartDownload by name, ChangeUsername,
// UpdateSettings) or copying and hashing a file (ShareFile) — are callback
// methods: the gRPC thread hands them to a SlowCallPool and returns, so
// GetStatus and health answer at once however many of them are pending;
// draining the server ends the queued ones with UNAVAILABLE.

#include "absl/time/time.h"
#include "admin/drain_signal.h"
#include "admin/slow_call_pool.h"
#include "peer/peer_control.h"
#include "proto/admin.grpc.pb.h"

namespace pytorrent::admin {

inline constexpr absl::Duration kWatchSlice = absl::Milliseconds(100);
inline constexpr uint32_t kDefaultWatchIntervalMs = 250;
// Threads that run slow calls (beyond them, calls queue).
inline constexpr int kSlowCallThreads = 4;

// The generated service with the slow methods switched to callbacks.
using PeerAdminServiceBase =
    v1::PeerAdmin::WithCallbackMethod_ListPeers<v1::PeerAdmin::WithCallbackMethod_SearchFiles<
        v1::PeerAdmin::WithCallbackMethod_StartDownload<v1::PeerAdmin::WithCallbackMethod_ShareFile<
            v1::PeerAdmin::WithCallbackMethod_ChangeUsername<
                v1::PeerAdmin::WithCallbackMethod_UpdateSettings<v1::PeerAdmin::Service>>>>>>;

class PeerAdminService final : public PeerAdminServiceBase {
 public:
  // `node` and `drain` must outlive the service.
  PeerAdminService(peer::PeerControl& node, const DrainSignal& drain);

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::PeerStatus* response) override;
  grpc::ServerUnaryReactor* ListPeers(grpc::CallbackServerContext* context,
                                      const v1::ListPeersRequest* request,
                                      v1::ListPeersResponse* response) override;
  grpc::Status ListSharedFiles(grpc::ServerContext* context,
                               const v1::ListSharedFilesRequest* request,
                               v1::ListSharedFilesResponse* response) override;
  grpc::ServerUnaryReactor* SearchFiles(grpc::CallbackServerContext* context,
                                        const v1::SearchFilesRequest* request,
                                        v1::SearchFilesResponse* response) override;
  // By root hash at once; by name (a search through the tracker) on the pool.
  grpc::ServerUnaryReactor* StartDownload(grpc::CallbackServerContext* context,
                                          const v1::StartDownloadRequest* request,
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
  grpc::ServerUnaryReactor* ShareFile(grpc::CallbackServerContext* context,
                                      const v1::ShareFileRequest* request,
                                      v1::ShareFileResponse* response) override;
  grpc::Status SetSeeding(grpc::ServerContext* context, const v1::SetSeedingRequest* request,
                          v1::SetSeedingResponse* response) override;
  grpc::ServerUnaryReactor* ChangeUsername(grpc::CallbackServerContext* context,
                                           const v1::ChangeUsernameRequest* request,
                                           v1::ChangeUsernameResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSettings(grpc::CallbackServerContext* context,
                                           const v1::UpdateSettingsRequest* request,
                                           v1::UpdateSettingsResponse* response) override;
  grpc::Status Disconnect(grpc::ServerContext* context, const v1::DisconnectRequest* request,
                          v1::DisconnectResponse* response) override;

 private:
  // Finishes at once with `status` if it is not OK (a validation error),
  // else runs `call` on the pool and finishes with its result.
  grpc::ServerUnaryReactor* RunSlow(grpc::CallbackServerContext* context,
                                    const absl::Status& validated,
                                    absl::AnyInvocable<grpc::Status()> call);

  peer::PeerControl& node_;
  const DrainSignal& drain_;
  SlowCallPool slow_{kSlowCallThreads};
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_PEER_ADMIN_SERVICE_H_
