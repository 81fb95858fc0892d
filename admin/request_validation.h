#ifndef PYTORRENT_ADMIN_REQUEST_VALIDATION_H_
#define PYTORRENT_ADMIN_REQUEST_VALIDATION_H_

// Argument checks for every admin RPC, kept pure so they are unit-tested
// alone. Each returns OK or INVALID_ARGUMENT with a message that names the
// field and says what a person should send instead.

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "proto/admin.pb.h"

namespace pytorrent::admin {

inline constexpr size_t kRootHashBytes = 32;
inline constexpr size_t kMaxPageTokenBytes = 256;
inline constexpr uint32_t kMaxPageSize = 1000;
inline constexpr size_t kMaxSearchQueryBytes = 255;
inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr uint32_t kMaxWatchIntervalMs = 60'000;

// `field` must be exactly 32 bytes (a SHA-256 root hash).
absl::Status ValidateRootHash(std::string_view root_hash, std::string_view field);
// A download id from StartDownload: non-zero.
absl::Status ValidateDownloadId(uint64_t download_id);
absl::Status ValidatePaging(std::string_view page_token, uint32_t page_size);

absl::Status Validate(const v1::ListPeersRequest& request);
absl::Status Validate(const v1::SearchFilesRequest& request);
absl::Status Validate(const v1::StartDownloadRequest& request);
absl::Status Validate(const v1::WatchDownloadRequest& request);
absl::Status Validate(const v1::CancelDownloadRequest& request);
absl::Status Validate(const v1::ShareFileRequest& request);
absl::Status Validate(const v1::SetSeedingRequest& request);
absl::Status Validate(const v1::ChangeUsernameRequest& request);
absl::Status Validate(const v1::UpdateSettingsRequest& request);
absl::Status Validate(const v1::ListSwarmsRequest& request);
absl::Status Validate(const v1::ListTrackerPeersRequest& request);
absl::Status Validate(const v1::EvictPeerRequest& request);

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_REQUEST_VALIDATION_H_
