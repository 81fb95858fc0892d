#include "common/names.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pytorrent {

absl::Status ValidateFileName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("file name is empty");
  if (name.size() > kMaxFileNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("file name is ", name.size(), " bytes; the limit is ", kMaxFileNameBytes));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError("file name may not be '.' or '..'");
  }
  for (char c : name) {
    if (c == '/' || c == '\\') {
      return absl::InvalidArgumentError("file name may not contain a path separator");
    }
    if (c == '\0') return absl::InvalidArgumentError("file name may not contain NUL");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("file name may not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateUsername(std::string_view username) {
  if (username.empty()) return absl::InvalidArgumentError("username is empty");
  if (username.size() > kMaxUsernameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("username is ", username.size(),
                                                   " bytes; the limit is ", kMaxUsernameBytes));
  }
  for (char c : username) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return absl::InvalidArgumentError(
          "username may contain only letters, digits, '_', '.' and '-'");
    }
  }
  return absl::OkStatus();
}

}  // namespace pytorrent
