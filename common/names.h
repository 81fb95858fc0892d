#ifndef PYTORRENT_COMMON_NAMES_H_
#define PYTORRENT_COMMON_NAMES_H_

#include <string_view>

#include "absl/status/status.h"

namespace pytorrent {

inline constexpr size_t kMaxFileNameBytes = 255;
inline constexpr size_t kMaxUsernameBytes = 32;

// A file name that is safe to join onto a folder: 1..255 bytes, no '/', '\\'
// or NUL, no control characters, not "." or "..". Returns INVALID_ARGUMENT
// saying which rule failed.
absl::Status ValidateFileName(std::string_view name);

// A username: 1..32 bytes of [A-Za-z0-9_.-]. Returns INVALID_ARGUMENT
// saying which rule failed.
absl::Status ValidateUsername(std::string_view username);

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_NAMES_H_
