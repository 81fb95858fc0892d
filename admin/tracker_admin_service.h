#ifndef PYTORRENT_ADMIN_TRACKER_ADMIN_SERVICE_H_
#define PYTORRENT_ADMIN_TRACKER_ADMIN_SERVICE_H_

// The TrackerAdmin gRPC service: validates each request and forwards it to a
// `tracker::TrackerControl`. Synchronous API; every call returns promptly.

#include "proto/admin.grpc.pb.h"
#include "tracker/tracker_control.h"

namespace pytorrent::admin {

class TrackerAdminService final : public v1::TrackerAdmin::Service {
 public:
  // `tracker` must outlive the service.
  explicit TrackerAdminService(tracker::TrackerControl& tracker) : tracker_(tracker) {}

  grpc::Status GetTrackerStats(grpc::ServerContext* context,
                               const v1::GetTrackerStatsRequest* request,
                               v1::TrackerStats* response) override;
  grpc::Status ListSwarms(grpc::ServerContext* context, const v1::ListSwarmsRequest* request,
                          v1::ListSwarmsResponse* response) override;
  grpc::Status ListTrackerPeers(grpc::ServerContext* context,
                                const v1::ListTrackerPeersRequest* request,
                                v1::ListTrackerPeersResponse* response) override;
  grpc::Status EvictPeer(grpc::ServerContext* context, const v1::EvictPeerRequest* request,
                         v1::EvictPeerResponse* response) override;

 private:
  tracker::TrackerControl& tracker_;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_TRACKER_ADMIN_SERVICE_H_
