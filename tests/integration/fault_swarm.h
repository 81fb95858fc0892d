#ifndef PYTORRENT_TESTS_INTEGRATION_FAULT_SWARM_H_
#define PYTORRENT_TESTS_INTEGRATION_FAULT_SWARM_H_

// The shared setup of the fault-injection tests (fault_*_test.cc): a real
// tracker, seeders and leechers on 127.0.0.1 (ports from the OS) under
// $TEST_TMPDIR, one small random file cut into small chunks, and the
// measurements every fault test asserts: the final file's SHA-256 and how
// much was fetched (the leecher's --download JSON line, the seeders'
// counters.json, logs/download.log).
//
// Example:
//   FaultSwarm swarm("hung_seeder", {.chunks = 128});
//   ASSERT_TRUE(swarm.StartTracker().ok());
//   auto seeder = swarm.StartSeeder("s0", {"--fault-throttle-kib-s", "2048"});
//   auto leecher = swarm.StartLeecher("leecher");
//   ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() / 4, absl::Seconds(30)));
//   ...
//   DownloadReport report = swarm.AwaitReport(**leecher, absl::Seconds(60));
//   EXPECT_TRUE(swarm.IsIntact("leecher"));

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {

struct FaultSwarmOptions {
  uint32_t chunk_kib = 64;
  uint32_t chunks = 128;  // 8 MiB at 64 KiB
  uint64_t seed = 1;
  std::string file_name = "data.bin";
};

// What a leecher's `--download` JSON line says (all zero if it printed none).
struct DownloadReport {
  bool printed = false;
  std::string state;
  std::string error;
  uint64_t chunks_fetched = 0;
  uint64_t chunks_resumed = 0;
  uint64_t chunks_repaired = 0;
  uint64_t chunks_corrupt = 0;
  uint64_t chunks_duplicate = 0;
  uint64_t bytes_received = 0;
};

// Polls `done` every 20 ms until it holds or `timeout` passes; true if it held.
bool PollUntil(const std::function<bool()>& done, absl::Duration timeout);

class FaultSwarm {
 public:
  FaultSwarm(const std::string& name, FaultSwarmOptions options);

  // Starts (or restarts, on the same port once one was chosen) the tracker.
  absl::Status StartTracker(std::vector<std::string> args = {});
  TrackerProcess* tracker() { return tracker_.get(); }
  // Kills the tracker (SIGKILL by PID, reaped); its port is kept for a restart.
  void KillTracker();
  std::string tracker_address() const;

  // Writes the swarm's file into HOME/user/shared_files/ of `name` (same
  // bytes for every seeder) and starts it serving; args are added after
  // the swarm's own (tracker, chunk size, username = name, announce
  // interval 1 s).
  absl::StatusOr<std::unique_ptr<PeerProcess>> StartSeeder(const std::string& name,
                                                           std::vector<std::string> args = {});
  // Starts `name` downloading the file (--download ROOT), not waiting for it
  // (on a fresh stdout.txt: AwaitReport reads this start's report).
  absl::StatusOr<std::unique_ptr<PeerProcess>> StartLeecher(const std::string& name,
                                                            std::vector<std::string> args = {},
                                                            uint64_t file_size_limit_bytes = 0);

  // Waits until `name`'s resume state lists at least `chunks` verified chunks.
  bool AwaitVerified(const std::string& name, uint32_t chunks, absl::Duration timeout) const;
  uint32_t Verified(const std::string& name) const;
  // Chunk indexes `name`'s resume state lists as verified.
  std::vector<uint32_t> VerifiedChunkList(const std::string& name) const;
  // Waits for `leecher`'s --download line (or its exit) and parses it.
  DownloadReport AwaitReport(PeerProcess& leecher, absl::Duration timeout) const;
  // chunks_served from `name`'s counters.json (written at its clean exit).
  uint64_t ChunksServed(const std::string& name) const;

  std::string Home(const std::string& name) const { return dir_ + "/" + name; }
  std::string PartialPath(const std::string& name) const;
  std::string ResumePath(const std::string& name) const;
  std::string DownloadedPath(const std::string& name) const;
  // True if `name` downloaded the file and its SHA-256 is the source's.
  bool IsIntact(const std::string& name) const;

  const std::string& dir() const { return dir_; }
  const std::string& root() const { return root_; }
  const std::string& sha256() const { return sha256_; }
  uint32_t chunks() const { return options_.chunks; }
  uint64_t chunk_bytes() const { return uint64_t{options_.chunk_kib} * 1024; }
  uint64_t size_bytes() const { return chunk_bytes() * options_.chunks; }
  // Both stream outputs of `name`, for failure messages.
  std::string Output(const std::string& name) const;

 private:
  FaultSwarmOptions options_;
  std::string dir_;
  std::string source_;
  std::string root_;
  std::string sha256_;
  uint16_t tracker_port_ = 0;
  std::unique_ptr<TrackerProcess> tracker_;
};

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_INTEGRATION_FAULT_SWARM_H_
