#ifndef PYTORRENT_PEER_STORAGE_ERRNO_STATUS_H_
#define PYTORRENT_PEER_STORAGE_ERRNO_STATUS_H_

#include <string>

#include "absl/status/status.h"

namespace pytorrent::peer {

// Turns a failed system call's `errno` into the most specific absl code, with
// "`what`: strerror" as the message: ENOENT -> NOT_FOUND, EACCES/EPERM ->
// PERMISSION_DENIED, ENOSPC/EDQUOT -> RESOURCE_EXHAUSTED, EEXIST ->
// ALREADY_EXISTS, anything else INTERNAL.
absl::Status ErrnoStatus(int error, const std::string& what);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_ERRNO_STATUS_H_
