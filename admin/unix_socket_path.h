#ifndef PYTORRENT_ADMIN_UNIX_SOCKET_PATH_H_
#define PYTORRENT_ADMIN_UNIX_SOCKET_PATH_H_

// `UnixSocketPath` reaches a Unix socket through a short alias of its folder,
// so a socket path of any length works even though `sockaddr_un::sun_path`
// holds only 107 bytes: the folder is opened once with O_PATH|O_DIRECTORY and
// the socket is addressed as `/proc/self/fd/<fd>/<name>`. The kernel resolves
// that magic link to the opened folder, for bind() and connect() alike.
//
// Both sides use it: the admin server binds through the alias (and does its
// stale-socket check, rename and cleanup relative to the folder fd), and every
// client that dials a socket by path (the CLI, tests) connects through it.
//
// The alias is only valid while this object (its fd) lives: keep it alive as
// long as a listener or a gRPC channel may use the address. If the folder is
// replaced after Open() (removed and created again) the alias still points at
// the old, deleted one.
//
// Example:
//   absl::StatusOr<UnixSocketPath> sock = UnixSocketPath::Open(home + "/state/admin.sock");
//   if (!sock.ok()) return sock.status();
//   auto channel = grpc::CreateChannel(sock->GrpcTarget(), grpc::InsecureChannelCredentials());
//   // ... keep `*sock` alive as long as `channel`.
//
// Move-only. Thread-compatible; the accessors are safe to call concurrently.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pytorrent::admin {

class UnixSocketPath {
 public:
  // The longest address bind()/connect() accept (sun_path minus its NUL).
  static constexpr size_t kMaxAddressBytes = 107;

  // Opens the folder of `path` (its last component is the socket's name; a
  // relative path is relative to the working directory). Errors:
  // INVALID_ARGUMENT for an empty path, a path ending in '/', '.' or '..', or
  // a name so long that even the alias does not fit; NOT_FOUND if the folder
  // does not exist; PERMISSION_DENIED if it cannot be searched;
  // FAILED_PRECONDITION if it is not a folder or /proc/self/fd is unavailable.
  static absl::StatusOr<UnixSocketPath> Open(const std::string& path);

  UnixSocketPath(UnixSocketPath&& other) noexcept;
  UnixSocketPath& operator=(UnixSocketPath&& other) noexcept;
  UnixSocketPath(const UnixSocketPath&) = delete;
  UnixSocketPath& operator=(const UnixSocketPath&) = delete;
  ~UnixSocketPath();  // closes the folder

  // The path as given to Open(), for messages.
  const std::string& path() const { return path_; }
  // The socket's file name inside the folder.
  const std::string& name() const { return name_; }
  // The opened folder (O_PATH): a `dirfd` for fstatat/renameat/unlinkat.
  int dir_fd() const { return dir_fd_; }

  // `/proc/self/fd/<fd>/<entry>` for a name (or relative path) inside the
  // folder; at most kMaxAddressBytes for the socket's own name.
  std::string AliasOf(std::string_view entry) const;
  // The socket's short address: AliasOf(name()).
  std::string Alias() const { return AliasOf(name_); }
  // The gRPC target for the socket: "unix:" + Alias().
  std::string GrpcTarget() const { return "unix:" + Alias(); }

 private:
  UnixSocketPath(std::string path, std::string name, int dir_fd);

  std::string path_;
  std::string name_;
  int dir_fd_ = -1;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_UNIX_SOCKET_PATH_H_
