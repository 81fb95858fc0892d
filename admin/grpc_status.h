#ifndef PYTORRENT_ADMIN_GRPC_STATUS_H_
#define PYTORRENT_ADMIN_GRPC_STATUS_H_

// The one place an absl::Status becomes a grpc::Status (and back, for the
// CLI). The codes are numerically identical, so an error keeps its meaning
// from the node up to the person at the CLI.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace pytorrent::admin {

// Same code, same message. OK maps to grpc::Status::OK.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Same code, same message (the CLI reports gRPC failures as absl::Status).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_GRPC_STATUS_H_
