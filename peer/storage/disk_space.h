#ifndef PYTORRENT_PEER_STORAGE_DISK_SPACE_H_
#define PYTORRENT_PEER_STORAGE_DISK_SPACE_H_

// Free-space checks before a download claims its space, so a full disk is
// one clear error up front ("needs 64.0 MiB, 40.0 MiB free") instead of a
// sparse file that fails halfway.
//
// Example:
//   absl::StatusOr<uint64_t> free = FreeBytesAt(state_dir);
//   if (free.ok()) return CheckFreeSpace(size, *free, state_dir);

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pytorrent::peer {

// Bytes an unprivileged writer may still use on the file system holding
// `path` (statvfs f_bavail * f_frsize). Errors as errno_status.h.
absl::StatusOr<uint64_t> FreeBytesAt(const std::string& path);

// Pure: OK if `need_bytes` <= `free_bytes`; else RESOURCE_EXHAUSTED saying
// "not enough disk space in WHERE: needs N MiB, M MiB free".
absl::Status CheckFreeSpace(uint64_t need_bytes, uint64_t free_bytes, std::string_view where);

// "40.0 MiB", "1.5 GiB", "512 B".
std::string FormatBytes(uint64_t bytes);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_DISK_SPACE_H_
