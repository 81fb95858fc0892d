#include "peer/storage/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "peer/storage/errno_status.h"

namespace pytorrent::peer {

absl::StatusOr<uint64_t> FreeBytesAt(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return ErrnoStatus(errno, "statvfs " + path);
  return static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
}

absl::Status CheckFreeSpace(uint64_t need_bytes, uint64_t free_bytes, std::string_view where) {
  if (need_bytes <= free_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("not enough disk space in ", absl::string_view(where.data(), where.size()),
                   ": needs ", FormatBytes(need_bytes), ", ", FormatBytes(free_bytes), " free"));
}

std::string FormatBytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit + 1 < 5) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

}  // namespace pytorrent::peer
