#include "admin/reflection_v1_service.h"

#include <utility>

#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/impl/server_initializer.h"

namespace pytorrent::admin {
namespace {

namespace refl = ::grpc::reflection::v1;
using google::protobuf::FileDescriptor;

void AddFileAndImports(const FileDescriptor* file, std::set<std::string>* sent_files,
                       refl::FileDescriptorResponse* out) {
  if (!sent_files->insert(file->name()).second) return;
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  out->add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddFileAndImports(file->dependency(i), sent_files, out);
  }
}

void SetError(grpc::StatusCode code, std::string message, refl::ServerReflectionResponse* out) {
  refl::ErrorResponse* error = out->mutable_error_response();
  error->set_error_code(static_cast<int32_t>(code));
  error->set_error_message(std::move(message));
}

void AnswerFile(const FileDescriptor* file, const std::string& what, std::set<std::string>* sent,
                refl::ServerReflectionResponse* out) {
  if (file == nullptr) {
    SetError(grpc::StatusCode::NOT_FOUND, what + " not found", out);
    return;
  }
  AddFileAndImports(file, sent, out->mutable_file_descriptor_response());
}

// Plugin glue: registers the service when the server is built and gives it
// the final service list.
class ReflectionV1Plugin final : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "pytorrent_reflection_v1"; }
  void InitServer(grpc::ServerInitializer* si) override { si->RegisterService(service_); }
  void Finish(grpc::ServerInitializer* si) override {
    service_->SetServiceNames(*si->GetServiceList());
  }
  void ChangeArguments(const std::string&, void*) override {}
  bool has_sync_methods() const override { return true; }

 private:
  std::shared_ptr<ReflectionV1Service> service_ = std::make_shared<ReflectionV1Service>();
};

}  // namespace

refl::ServerReflectionResponse AnswerReflectionRequest(const refl::ServerReflectionRequest& request,
                                                       const google::protobuf::DescriptorPool& pool,
                                                       const std::vector<std::string>& services,
                                                       std::set<std::string>* sent_files) {
  refl::ServerReflectionResponse out;
  out.set_valid_host(request.host());
  *out.mutable_original_request() = request;
  switch (request.message_request_case()) {
    case refl::ServerReflectionRequest::kListServices:
      for (const std::string& name : services) {
        out.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case refl::ServerReflectionRequest::kFileByFilename:
      AnswerFile(pool.FindFileByName(request.file_by_filename()),
                 "file '" + request.file_by_filename() + "'", sent_files, &out);
      break;
    case refl::ServerReflectionRequest::kFileContainingSymbol:
      AnswerFile(pool.FindFileContainingSymbol(request.file_containing_symbol()),
                 "symbol '" + request.file_containing_symbol() + "'", sent_files, &out);
      break;
    case refl::ServerReflectionRequest::kFileContainingExtension: {
      const refl::ExtensionRequest& ext = request.file_containing_extension();
      const google::protobuf::Descriptor* type = pool.FindMessageTypeByName(ext.containing_type());
      const google::protobuf::FieldDescriptor* field =
          type == nullptr ? nullptr : pool.FindExtensionByNumber(type, ext.extension_number());
      AnswerFile(field == nullptr ? nullptr : field->file(), "extension", sent_files, &out);
      break;
    }
    case refl::ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const google::protobuf::Descriptor* type =
          pool.FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 "type '" + request.all_extension_numbers_of_type() + "' not found", &out);
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool.FindAllExtensions(type, &extensions);
      refl::ExtensionNumberResponse* numbers = out.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const auto* field : extensions) numbers->add_extension_number(field->number());
      break;
    }
    case refl::ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      SetError(grpc::StatusCode::INVALID_ARGUMENT, "the request names no question", &out);
      break;
  }
  return out;
}

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<refl::ServerReflectionResponse, refl::ServerReflectionRequest>*
        stream) {
  std::set<std::string> sent_files;
  refl::ServerReflectionRequest request;
  while (stream->Read(&request)) {
    const refl::ServerReflectionResponse response = AnswerReflectionRequest(
        request, *google::protobuf::DescriptorPool::generated_pool(), services_, &sent_files);
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

void ReflectionV1Option::UpdateArguments(grpc::ChannelArguments*) {}

void ReflectionV1Option::UpdatePlugins(
    std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) {
  plugins->push_back(std::make_unique<ReflectionV1Plugin>());
}

}  // namespace pytorrent::admin
