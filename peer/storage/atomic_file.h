#ifndef PYTORRENT_PEER_STORAGE_ATOMIC_FILE_H_
#define PYTORRENT_PEER_STORAGE_ATOMIC_FILE_H_

// Crash-safe small-file writes and bounded reads.
//
// Example:
//   if (absl::Status s = WriteFileAtomically(dir + "/x.resume", bytes); !s.ok()) ...
//
// Thread-safe (no shared state); concurrent writers of one path race benignly
// (each rename is atomic; the last one wins).

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pytorrent::peer {

// Writes `contents` to a unique temporary file next to `path`, fsyncs it,
// renames it over `path` and fsyncs the folder; the file is created with
// `mode` (before the umask). After a crash, `path` holds
// either the old or the new contents, never a mix. INTERNAL / PERMISSION_DENIED
// / NOT_FOUND on I/O errors (the temporary file is removed).
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                 mode_t mode = 0644);

// Reads a whole file of at most `max_bytes`. NOT_FOUND if absent,
// RESOURCE_EXHAUSTED if larger than `max_bytes`, INTERNAL on I/O errors.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_ATOMIC_FILE_H_
