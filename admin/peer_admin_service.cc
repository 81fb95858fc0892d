#include "admin/peer_admin_service.h"

#include <algorithm>

#include "admin/grpc_status.h"
#include "admin/request_validation.h"

namespace pytorrent::admin {
namespace {

grpc::Status ShuttingDown() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "the node is shutting down; try again once it is back");
}

}  // namespace

PeerAdminService::PeerAdminService(peer::PeerControl& node, const DrainSignal& drain)
    : node_(node), drain_(drain) {
  // Queued slow calls end with UNAVAILABLE as soon as the server drains,
  // so Shutdown does not wait for them to reach the tracker.
  drain_.OnBegin([this] { slow_.Drain(); });
  // A pool thread may still be returning from a call's Finish after gRPC
  // counted the call done: its threads end before the server is destroyed.
  drain_.OnStopped([this] { slow_.Stop(); });
}

grpc::ServerUnaryReactor* PeerAdminService::RunSlow(grpc::CallbackServerContext* context,
                                                    const absl::Status& validated,
                                                    absl::AnyInvocable<grpc::Status()> call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!validated.ok()) {
    reactor->Finish(ToGrpcStatus(validated));
    return reactor;
  }
  // The request and response stay valid until Finish.
  slow_.Submit([reactor, call = std::move(call)]() mutable { reactor->Finish(call()); },
               [reactor] { reactor->Finish(ShuttingDown()); });
  return reactor;
}

grpc::Status PeerAdminService::GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*,
                                         v1::PeerStatus* response) {
  *response = node_.GetStatus();
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* PeerAdminService::ListPeers(grpc::CallbackServerContext* context,
                                                      const v1::ListPeersRequest* request,
                                                      v1::ListPeersResponse* response) {
  return RunSlow(context, Validate(*request), [this, request, response] {
    absl::StatusOr<v1::ListPeersResponse> peers = node_.ListPeers(*request);
    if (!peers.ok()) return ToGrpcStatus(peers.status());
    *response = *std::move(peers);
    return grpc::Status::OK;
  });
}

grpc::Status PeerAdminService::ListSharedFiles(grpc::ServerContext*,
                                               const v1::ListSharedFilesRequest*,
                                               v1::ListSharedFilesResponse* response) {
  *response = node_.ListSharedFiles();
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* PeerAdminService::SearchFiles(grpc::CallbackServerContext* context,
                                                        const v1::SearchFilesRequest* request,
                                                        v1::SearchFilesResponse* response) {
  return RunSlow(context, Validate(*request), [this, request, response] {
    absl::StatusOr<v1::SearchFilesResponse> files = node_.SearchFiles(*request);
    if (!files.ok()) return ToGrpcStatus(files.status());
    *response = *std::move(files);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* PeerAdminService::StartDownload(grpc::CallbackServerContext* context,
                                                          const v1::StartDownloadRequest* request,
                                                          v1::StartDownloadResponse* response) {
  auto start = [this, request, response] {
    if (drain_.draining()) return ShuttingDown();
    absl::StatusOr<uint64_t> id = node_.StartDownload(*request);
    if (!id.ok()) return ToGrpcStatus(id.status());
    response->set_download_id(*id);
    return grpc::Status::OK;
  };
  absl::Status validated = Validate(*request);
  if (validated.ok() && !request->root_hash().empty()) {
    // By root hash: no tracker round trip before the id exists.
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(start());
    return reactor;
  }
  return RunSlow(context, validated, std::move(start));
}

grpc::Status PeerAdminService::WatchDownload(grpc::ServerContext* context,
                                             const v1::WatchDownloadRequest* request,
                                             grpc::ServerWriter<v1::DownloadProgress>* writer) {
  if (absl::Status s = Validate(*request); !s.ok()) return ToGrpcStatus(s);
  const absl::Duration interval = absl::Milliseconds(
      request->min_interval_ms() == 0 ? kDefaultWatchIntervalMs : request->min_interval_ms());
  const uint64_t id = request->download_id();

  // The full snapshot first, whatever its version.
  absl::StatusOr<peer::DownloadSnapshot> snapshot = node_.AwaitDownloadChange(id, 0, absl::Now());
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  if (!writer->Write(snapshot->progress)) return grpc::Status::CANCELLED;
  uint64_t sent_version = snapshot->version;
  if (peer::IsTerminalDownloadState(snapshot->progress.state())) return grpc::Status::OK;
  absl::Time next_send = absl::Now() + interval;

  while (true) {
    // Rate limit: nothing before `next_send`, waking early only for drain
    // or cancellation.
    for (absl::Time now = absl::Now(); now < next_send; now = absl::Now()) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      if (drain_.WaitFor(std::min(next_send - now, kWatchSlice))) return ShuttingDown();
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    if (drain_.draining()) return ShuttingDown();
    snapshot = node_.AwaitDownloadChange(id, sent_version, absl::Now() + kWatchSlice);
    if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
    if (snapshot->version <= sent_version) continue;  // nothing new in this slice
    if (!writer->Write(snapshot->progress)) return grpc::Status::CANCELLED;
    sent_version = snapshot->version;
    if (peer::IsTerminalDownloadState(snapshot->progress.state())) return grpc::Status::OK;
    next_send = absl::Now() + interval;
  }
}

grpc::Status PeerAdminService::ListDownloads(grpc::ServerContext*, const v1::ListDownloadsRequest*,
                                             v1::ListDownloadsResponse* response) {
  *response = node_.ListDownloads();
  return grpc::Status::OK;
}

grpc::Status PeerAdminService::CancelDownload(grpc::ServerContext*,
                                              const v1::CancelDownloadRequest* request,
                                              v1::CancelDownloadResponse*) {
  if (absl::Status s = Validate(*request); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(node_.CancelDownload(request->download_id()));
}

grpc::ServerUnaryReactor* PeerAdminService::ShareFile(grpc::CallbackServerContext* context,
                                                      const v1::ShareFileRequest* request,
                                                      v1::ShareFileResponse* response) {
  return RunSlow(context, Validate(*request), [this, request, response] {
    absl::StatusOr<v1::SharedFile> file = node_.ShareFile(request->path());
    if (!file.ok()) return ToGrpcStatus(file.status());
    *response->mutable_file() = *std::move(file);
    return grpc::Status::OK;
  });
}

grpc::Status PeerAdminService::SetSeeding(grpc::ServerContext*,
                                          const v1::SetSeedingRequest* request,
                                          v1::SetSeedingResponse*) {
  if (absl::Status s = Validate(*request); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(node_.SetSeeding(request->root_hash(), request->seeding()));
}

grpc::ServerUnaryReactor* PeerAdminService::ChangeUsername(grpc::CallbackServerContext* context,
                                                           const v1::ChangeUsernameRequest* request,
                                                           v1::ChangeUsernameResponse*) {
  return RunSlow(context, Validate(*request), [this, request] {
    return ToGrpcStatus(node_.ChangeUsername(request->new_username()));
  });
}

grpc::ServerUnaryReactor* PeerAdminService::UpdateSettings(grpc::CallbackServerContext* context,
                                                           const v1::UpdateSettingsRequest* request,
                                                           v1::UpdateSettingsResponse*) {
  return RunSlow(context, Validate(*request),
                 [this, request] { return ToGrpcStatus(node_.UpdateSettings(*request)); });
}

grpc::Status PeerAdminService::Disconnect(grpc::ServerContext*, const v1::DisconnectRequest*,
                                          v1::DisconnectResponse*) {
  AdminHandlerScope scope;  // the node may stop this server from in here
  return ToGrpcStatus(node_.Disconnect());
}

}  // namespace pytorrent::admin
