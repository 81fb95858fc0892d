#include "admin/tracker_admin_service.h"

#include <utility>

#include "admin/grpc_status.h"
#include "admin/request_validation.h"

namespace pytorrent::admin {

grpc::Status TrackerAdminService::GetTrackerStats(grpc::ServerContext*,
                                                  const v1::GetTrackerStatsRequest*,
                                                  v1::TrackerStats* response) {
  *response = tracker_.GetStats();
  return grpc::Status::OK;
}

grpc::Status TrackerAdminService::ListSwarms(grpc::ServerContext*,
                                             const v1::ListSwarmsRequest* request,
                                             v1::ListSwarmsResponse* response) {
  if (absl::Status s = Validate(*request); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<v1::ListSwarmsResponse> swarms = tracker_.ListSwarms(*request);
  if (!swarms.ok()) return ToGrpcStatus(swarms.status());
  *response = *std::move(swarms);
  return grpc::Status::OK;
}

grpc::Status TrackerAdminService::ListTrackerPeers(grpc::ServerContext*,
                                                   const v1::ListTrackerPeersRequest* request,
                                                   v1::ListTrackerPeersResponse* response) {
  if (absl::Status s = Validate(*request); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<v1::ListTrackerPeersResponse> peers = tracker_.ListPeers(*request);
  if (!peers.ok()) return ToGrpcStatus(peers.status());
  *response = *std::move(peers);
  return grpc::Status::OK;
}

grpc::Status TrackerAdminService::EvictPeer(grpc::ServerContext*,
                                            const v1::EvictPeerRequest* request,
                                            v1::EvictPeerResponse*) {
  if (absl::Status s = Validate(*request); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(tracker_.EvictPeer(request->peer_id()));
}

}  // namespace pytorrent::admin
