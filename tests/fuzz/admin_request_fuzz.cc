// libFuzzer target for the admin plane's argument checks
// (admin/request_validation.h), the first code every admin RPC runs on
// bytes from a client.
//
// The first input byte picks the request type, the rest is parsed as that
// message; a message that parses is validated. Invariants (trap otherwise):
// a rejection is INVALID_ARGUMENT with a short, non-empty message (a huge
// field is never echoed back whole).
//
// bazel build --config=fuzz //tests/fuzz:admin_request_fuzz
// bazel-bin/tests/fuzz/admin_request_fuzz tests/fuzz/admin_request_fuzz_corpus -max_total_time=30

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "admin/request_validation.h"
#include "google/protobuf/stubs/logging.h"
#include "proto/admin.pb.h"
#include "proto/tracker.pb.h"

namespace {

constexpr size_t kMaxErrorMessageBytes = 512;

template <typename Request>
void ParseAndValidate(const uint8_t* data, size_t size) {
  Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  const absl::Status status = pytorrent::admin::Validate(request);
  if (status.ok()) return;
  if (status.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  if (status.message().empty() || status.message().size() > kMaxErrorMessageBytes) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (size == 0 || size > (1u << 20)) return 0;
  const uint8_t kind = data[0];
  ++data;
  --size;
  namespace v1 = pytorrent::v1;
  switch (kind % 12) {
    case 0:
      ParseAndValidate<v1::ListPeersRequest>(data, size);
      break;
    case 1:
      ParseAndValidate<v1::SearchFilesRequest>(data, size);
      break;
    case 2:
      ParseAndValidate<v1::StartDownloadRequest>(data, size);
      break;
    case 3:
      ParseAndValidate<v1::WatchDownloadRequest>(data, size);
      break;
    case 4:
      ParseAndValidate<v1::CancelDownloadRequest>(data, size);
      break;
    case 5:
      ParseAndValidate<v1::ShareFileRequest>(data, size);
      break;
    case 6:
      ParseAndValidate<v1::SetSeedingRequest>(data, size);
      break;
    case 7:
      ParseAndValidate<v1::ChangeUsernameRequest>(data, size);
      break;
    case 8:
      ParseAndValidate<v1::UpdateSettingsRequest>(data, size);
      break;
    case 9:
      ParseAndValidate<v1::ListSwarmsRequest>(data, size);
      break;
    case 10:
      ParseAndValidate<v1::ListTrackerPeersRequest>(data, size);
      break;
    default:
      ParseAndValidate<v1::EvictPeerRequest>(data, size);
      break;
  }
  return 0;
}
