#ifndef PYTORRENT_TESTS_INTEGRATION_PEER_PROCESS_H_
#define PYTORRENT_TESTS_INTEGRATION_PEER_PROCESS_H_

// Starts the real peer binary as a child process and always reaps it: the
// destructor sends SIGKILL (by PID) if it still runs, and the child dies
// with its parent (PR_SET_PDEATHSIG), so a failing test never leaks one.
//
// Example:
//   auto seeder = PeerProcess::Start({.home = dir + "/s1", .args = {"--tracker", addr}});
//   ASSERT_TRUE(seeder.ok()) << seeder.status();
//   auto leecher = PeerProcess::Start({.home = dir + "/l1", .args = {..., "--download", root},
//                                      .wait_ready = false});
//   EXPECT_EQ((*leecher)->Wait(absl::Seconds(60)), 0);

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "admin/unix_socket_path.h"

namespace pytorrent::testing {

struct PeerProcessOptions {
  std::string binary = "peer/peer";
  std::string home;
  // Flags after --home. Without --chunk-listen, tcp://127.0.0.1:0 is added.
  std::vector<std::string> args = {};
  // Wait for HOME/state/chunk_endpoint (the node is serving and announced).
  bool wait_ready = true;
  absl::Duration start_timeout = absl::Seconds(30);
  // RLIMIT_FSIZE (soft) of the process, in bytes; 0: inherited. A full
  // disk for that process alone: raise it later with prlimit(2) by PID.
  uint64_t file_size_limit_bytes = 0;
};

class PeerProcess {
 public:
  static absl::StatusOr<std::unique_ptr<PeerProcess>> Start(const PeerProcessOptions& options);
  ~PeerProcess();

  pid_t pid() const { return pid_; }
  const std::string& home() const { return home_; }
  // The node's gRPC admin socket, HOME/state/admin.sock (may be longer than
  // the 107 bytes a socket address holds: dial admin_target()).
  std::string admin_socket() const { return home_ + "/state/admin.sock"; }
  // gRPC target for the admin socket, `unix:/proc/self/fd/<fd>/admin.sock`
  // through its folder kept open by this object; valid in this process.
  std::string admin_target() const;
  // Waits for the exit; returns its code, or -1 on a signal or timeout
  // (the process is then killed).
  int Wait(absl::Duration timeout);
  // SIGTERM, then Wait.
  int Stop(absl::Duration timeout = absl::Seconds(15));
  // SIGKILL and reap.
  void Kill9();
  bool running() const { return !reaped_; }
  // What the process printed on stdout so far.
  std::string Stdout() const;

 private:
  PeerProcess(pid_t pid, std::string home) : pid_(pid), home_(std::move(home)) {}
  pid_t pid_;
  std::string home_;
  std::unique_ptr<admin::UnixSocketPath> admin_socket_path_;
  bool reaped_ = false;
  int exit_code_ = -1;
};

// Parses the flat JSON object on the last line of `text` that holds `key`,
// returning key -> raw value (strings unquoted). Empty if none.
std::map<std::string, std::string> LastJsonLineWith(const std::string& text,
                                                    const std::string& key);

// Reads a whole file ("" if missing).
std::string ReadFile(const std::string& path);
// Writes `size` pseudo-random bytes (seeded) to `path`, mtime a minute ago
// so the peer treats it as stable at once.
void WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed);
// Hex SHA-256 of a file.
std::string FileSha256Hex(const std::string& path);
// Hex Merkle root of a file cut into `chunk_kib` KiB chunks ("" on error).
std::string RootHexOf(const std::string& path, uint32_t chunk_kib);
// Verified chunks recorded in a download's resume state (0 if none yet).
uint32_t ResumedChunks(const std::string& home, const std::string& root_hex, uint32_t chunk_count);

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_INTEGRATION_PEER_PROCESS_H_
