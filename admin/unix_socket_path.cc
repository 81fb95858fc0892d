#include "admin/unix_socket_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pytorrent::admin {
namespace {

absl::Status Err(absl::StatusCode code, const std::string& message) {
  return absl::Status(code, absl::string_view(message.data(), message.size()));
}

absl::StatusCode CodeForOpenErrno(int err) {
  switch (err) {
    case ENOENT:
      return absl::StatusCode::kNotFound;
    case EACCES:
    case EPERM:
      return absl::StatusCode::kPermissionDenied;
    default:  // ENOTDIR, ELOOP, ...
      return absl::StatusCode::kFailedPrecondition;
  }
}

}  // namespace

absl::StatusOr<UnixSocketPath> UnixSocketPath::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("the Unix socket path is empty");
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string folder = slash == std::string::npos ? "."
                             : slash == 0               ? "/"
                                                        : path.substr(0, slash);
  if (name.empty() || name == "." || name == "..") {
    return Err(absl::StatusCode::kInvalidArgument,
               absl::StrCat("the Unix socket path '", path, "' does not end in a file name"));
  }
  const int fd = open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Err(CodeForOpenErrno(err),
               absl::StrCat("cannot open the folder '", folder, "' of the Unix socket '", path,
                            "': ", std::strerror(err)));
  }
  UnixSocketPath result(path, name, fd);  // closes fd on every return below
  const std::string alias = result.Alias();
  if (alias.size() > kMaxAddressBytes) {
    return Err(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("the Unix socket name '", name, "' is ", name.size(), " bytes; names up to ",
                     kMaxAddressBytes - (alias.size() - name.size()), " bytes work"));
  }
  // The alias needs procfs; check once here rather than fail obscurely later.
  struct stat via_proc {};
  struct stat direct {};
  const std::string proc_dir = alias.substr(0, alias.size() - name.size() - 1);
  if (stat(proc_dir.c_str(), &via_proc) != 0 || fstat(fd, &direct) != 0 ||
      via_proc.st_ino != direct.st_ino || via_proc.st_dev != direct.st_dev) {
    return Err(absl::StatusCode::kFailedPrecondition,
               absl::StrCat("cannot reach the folder of '", path, "' through ", proc_dir,
                            " (is /proc mounted?)"));
  }
  return result;
}

UnixSocketPath::UnixSocketPath(std::string path, std::string name, int dir_fd)
    : path_(std::move(path)), name_(std::move(name)), dir_fd_(dir_fd) {}

UnixSocketPath::UnixSocketPath(UnixSocketPath&& other) noexcept
    : path_(std::move(other.path_)),
      name_(std::move(other.name_)),
      dir_fd_(std::exchange(other.dir_fd_, -1)) {}

UnixSocketPath& UnixSocketPath::operator=(UnixSocketPath&& other) noexcept {
  if (this != &other) {
    if (dir_fd_ >= 0) close(dir_fd_);
    path_ = std::move(other.path_);
    name_ = std::move(other.name_);
    dir_fd_ = std::exchange(other.dir_fd_, -1);
  }
  return *this;
}

UnixSocketPath::~UnixSocketPath() {
  if (dir_fd_ >= 0) close(dir_fd_);
}

std::string UnixSocketPath::AliasOf(std::string_view entry) const {
  return absl::StrCat("/proc/self/fd/", dir_fd_, "/",
                      absl::string_view(entry.data(), entry.size()));
}

}  // namespace pytorrent::admin
