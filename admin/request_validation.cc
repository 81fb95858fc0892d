#include "admin/request_validation.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/names.h"
#include "peer/settings_update.h"

namespace pytorrent::admin {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(absl::string_view(message.data(), message.size()));
}

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Prefixes a validation error from common/names.h with the field it is about.
absl::Status InField(std::string_view field, const absl::Status& status) {
  if (status.ok()) return status;
  return Invalid(absl::StrCat(Sv(field), ": ", status.message()));
}

bool HasControlChars(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

absl::Status ValidateRootHash(std::string_view root_hash, std::string_view field) {
  if (root_hash.size() != kRootHashBytes) {
    return Invalid(absl::StrCat(Sv(field), " must be a 32-byte SHA-256 root hash, got ",
                                root_hash.size(), " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDownloadId(uint64_t download_id) {
  if (download_id == 0) {
    return Invalid("download_id is 0; use the id returned by StartDownload or ListDownloads");
  }
  return absl::OkStatus();
}

absl::Status ValidatePaging(std::string_view page_token, uint32_t page_size) {
  if (page_token.size() > kMaxPageTokenBytes) {
    return Invalid(absl::StrCat("page_token is ", page_token.size(), " bytes; pass back the ",
                                "next_page_token of the previous reply unchanged"));
  }
  if (page_size > kMaxPageSize) {
    return Invalid(
        absl::StrCat("page_size is ", page_size, "; the limit is ", kMaxPageSize, " (0: default)"));
  }
  return absl::OkStatus();
}

absl::Status Validate(const v1::ListPeersRequest& request) {
  return ValidatePaging(request.page_token(), request.page_size());
}

absl::Status Validate(const v1::SearchFilesRequest& request) {
  if (request.query().size() > kMaxSearchQueryBytes) {
    return Invalid(absl::StrCat("query is ", request.query().size(), " bytes; the limit is ",
                                kMaxSearchQueryBytes));
  }
  if (HasControlChars(request.query())) {
    return Invalid("query may not contain control characters");
  }
  return ValidatePaging(request.page_token(), request.page_size());
}

absl::Status Validate(const v1::StartDownloadRequest& request) {
  if (!request.root_hash().empty()) return ValidateRootHash(request.root_hash(), "root_hash");
  if (request.name().empty()) {
    return Invalid("give the file's root_hash (32 bytes) or its exact name on the network");
  }
  return InField("name", ValidateFileName(request.name()));
}

absl::Status Validate(const v1::WatchDownloadRequest& request) {
  if (absl::Status s = ValidateDownloadId(request.download_id()); !s.ok()) return s;
  if (request.min_interval_ms() > kMaxWatchIntervalMs) {
    return Invalid(absl::StrCat("min_interval_ms is ", request.min_interval_ms(), "; the limit is ",
                                kMaxWatchIntervalMs, " (0: 250 ms)"));
  }
  return absl::OkStatus();
}

absl::Status Validate(const v1::CancelDownloadRequest& request) {
  return ValidateDownloadId(request.download_id());
}

absl::Status Validate(const v1::ShareFileRequest& request) {
  const std::string& path = request.path();
  if (path.empty()) return Invalid("path is empty; give the absolute path of a regular file");
  if (path.size() > kMaxPathBytes) {
    return Invalid(absl::StrCat("path is ", path.size(), " bytes; the limit is ", kMaxPathBytes));
  }
  if (path.find('\0') != std::string::npos) return Invalid("path may not contain NUL");
  if (path.front() != '/') {
    return Invalid(absl::StrCat("path '", path, "' is relative; give an absolute path"));
  }
  if (path.back() == '/') return Invalid("path names a folder; give the path of a regular file");
  return absl::OkStatus();
}

absl::Status Validate(const v1::SetSeedingRequest& request) {
  return ValidateRootHash(request.root_hash(), "root_hash");
}

absl::Status Validate(const v1::ChangeUsernameRequest& request) {
  return InField("new_username", ValidateUsername(request.new_username()));
}

absl::Status Validate(const v1::UpdateSettingsRequest& request) {
  // The node applies the same rules (peer/settings_update.h).
  return peer::ParseSettingsUpdate(request).status();
}

absl::Status Validate(const v1::ListSwarmsRequest& request) {
  return ValidatePaging(request.page_token(), request.page_size());
}

absl::Status Validate(const v1::ListTrackerPeersRequest& request) {
  return ValidatePaging(request.page_token(), request.page_size());
}

absl::Status Validate(const v1::EvictPeerRequest& request) {
  if (request.peer_id() == 0) return Invalid("peer_id is 0; give the id shown by ListTrackerPeers");
  return absl::OkStatus();
}

}  // namespace pytorrent::admin
