#ifndef PYTORRENT_PEER_HOME_LOCK_H_
#define PYTORRENT_PEER_HOME_LOCK_H_

// `HomeLock` makes sure one node at a time runs on a home folder: two nodes
// on one home would share the identity, the partial downloads and the admin
// socket. It holds an exclusive flock on HOME/state/node.lock for its
// lifetime; the kernel releases it when the process dies, however it dies,
// so a stale lock never blocks a restart.
//
// Example:
//   absl::StatusOr<HomeLock> lock = HomeLock::Acquire(home + "/state/node.lock");
//   if (!lock.ok()) { std::cerr << lock.status().message(); return 1; }
//
// Thread-compatible; move-only.

#include <string>

#include "absl/status/statusor.h"

namespace pytorrent::peer {

class HomeLock {
 public:
  // FAILED_PRECONDITION if another process holds it; other codes for I/O
  // errors creating the file.
  static absl::StatusOr<HomeLock> Acquire(const std::string& path);
  HomeLock(HomeLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  HomeLock& operator=(HomeLock&& other) noexcept;
  HomeLock(const HomeLock&) = delete;
  HomeLock& operator=(const HomeLock&) = delete;
  ~HomeLock();

 private:
  explicit HomeLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_HOME_LOCK_H_
