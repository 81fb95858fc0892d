#ifndef PYTORRENT_TESTS_TRACKER_TRACKER_PROCESS_H_
#define PYTORRENT_TESTS_TRACKER_TRACKER_PROCESS_H_

// Starts the real tracker binary on 127.0.0.1 with an OS-chosen port and
// stops it (SIGTERM, then SIGKILL) when destroyed, so a failing test never
// leaves it running. The child also dies with its parent.
//
// Example:
//   auto tracker = TrackerProcess::Start({.dir = TestDir("t1")});
//   ASSERT_TRUE(tracker.ok()) << tracker.status();
//   auto client = TrackerClient::Create({.port = (*tracker)->port()});

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "admin/unix_socket_path.h"

namespace pytorrent::testing {

struct TrackerProcessOptions {
  // Runfiles-relative path of the binary.
  std::string binary = "tracker/tracker";
  // Working folder: home, port file. Created if missing.
  std::string dir;
  // UDP port to bind; 0 lets the OS choose.
  uint16_t port = 0;
  // Address to bind ("::" for every interface, IPv6 and IPv4).
  std::string host = "127.0.0.1";
  // Extra flags, e.g. {"--announce-interval-s", "1"}.
  std::vector<std::string> args = {};
  // How long to wait for the port file.
  absl::Duration start_timeout = absl::Seconds(20);
};

class TrackerProcess {
 public:
  static absl::StatusOr<std::unique_ptr<TrackerProcess>> Start(
      const TrackerProcessOptions& options);
  ~TrackerProcess();

  uint16_t port() const { return port_; }
  // The admin gRPC Unix socket, DIR/home/state/admin.sock (may be longer than
  // the 107 bytes a socket address holds: dial admin_target()).
  const std::string& admin_socket() const { return admin_socket_; }
  // gRPC target for the admin socket, `unix:/proc/self/fd/<fd>/admin.sock`
  // through the socket's folder kept open by this object; valid in this
  // process while it lives.
  std::string admin_target() const;
  pid_t pid() const { return pid_; }
  // Sends SIGTERM and waits (at most `timeout`) for the exit; returns the
  // exit code, or -1 if it had to be killed or died from a signal.
  int Stop(absl::Duration timeout = absl::Seconds(10));

 private:
  TrackerProcess(pid_t pid, uint16_t port) : pid_(pid), port_(port) {}
  pid_t pid_;
  uint16_t port_;
  std::string admin_socket_;
  std::unique_ptr<admin::UnixSocketPath> admin_socket_path_;
  bool stopped_ = false;
};

// A fresh folder under $TEST_TMPDIR (or /tmp) named `name`.
std::string TestDir(const std::string& name);

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_TRACKER_TRACKER_PROCESS_H_
