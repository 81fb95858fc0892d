#ifndef PYTORRENT_ADMIN_REFLECTION_V1_SERVICE_H_
#define PYTORRENT_ADMIN_REFLECTION_V1_SERVICE_H_

// gRPC server reflection v1 (grpc.reflection.v1.ServerReflection), answered
// from the same descriptor pool as the v1alpha service that Debian's
// libgrpc++_reflection registers (it has no v1). Current tools such as
// grpcurl ask v1 first and fall back to v1alpha only on UNIMPLEMENTED.
//
// `AnswerReflectionRequest` is the pure part (one request, pool and service
// names in, one response out); `ReflectionV1Service` runs it over the
// bidirectional stream; `ReflectionV1Option` installs the service in a
// ServerBuilder and hands it the server's final service list (health and
// v1alpha reflection included, as v1alpha lists them).
//
// Example:
//   grpc::ServerBuilder builder;
//   builder.SetOption(std::make_unique<ReflectionV1Option>());
//
// Thread-safe: the service list is set once before the server starts.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpcpp/impl/server_builder_option.h"
#include "third_party/grpc_reflection/reflection_v1.grpc.pb.h"

namespace pytorrent::admin {

// Answers one reflection request. File answers carry the file and each file
// it imports, transitively, except those already in `*sent_files` (which
// grows), so a stream never sends a file twice. Unknown files, symbols and
// extensions are answered with ErrorResponse NOT_FOUND, an empty request
// with INVALID_ARGUMENT.
grpc::reflection::v1::ServerReflectionResponse AnswerReflectionRequest(
    const grpc::reflection::v1::ServerReflectionRequest& request,
    const google::protobuf::DescriptorPool& pool, const std::vector<std::string>& services,
    std::set<std::string>* sent_files);

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // Called once, before the server accepts calls.
  void SetServiceNames(std::vector<std::string> services) { services_ = std::move(services); }

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

 private:
  std::vector<std::string> services_;
};

// A ServerBuilder option that registers a ReflectionV1Service.
class ReflectionV1Option final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* args) override;
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_REFLECTION_V1_SERVICE_H_
