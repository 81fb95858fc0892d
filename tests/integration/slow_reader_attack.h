#ifndef PYTORRENT_TESTS_INTEGRATION_SLOW_READER_ATTACK_H_
#define PYTORRENT_TESTS_INTEGRATION_SLOW_READER_ATTACK_H_

// The slow-reader attack on a seeder, with real processes: a tracker, a
// seeder sharing one random file, and a legitimate leecher downloading it
// once undisturbed and once while `attackers` raw TCP connections each send
// `requests_per_attacker` valid ChunkRequests and never read a byte. Used by
// //tests/integration:slow_reader_test (small) and
// //tests/bench:slow_reader_bench (the 64 x 200).
//
// The attackers speak ZMTP 3.0 themselves (greeting, READY as a DEALER,
// then frames) over sockets with a tiny receive buffer, because a ZeroMQ
// socket would read replies into its own queue even if the program never
// called recv.
//
// Example:
//   absl::StatusOr<SlowReaderReport> r = RunSlowReaderAttack({.attackers = 16});
//   EXPECT_LE(r->seeder_peak_rss_bytes, budget + (64 << 20));

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pytorrent::testing {

// One raw ZMTP 3.0 connection to a ZeroMQ ROUTER, posing as a DEALER.
class RawZmtpClient {
 public:
  // `endpoint` is "tcp://HOST:PORT" (IPv4). `receive_buffer_bytes` > 0 sets
  // SO_RCVBUF before connecting (a slow reader's small window).
  static absl::StatusOr<std::unique_ptr<RawZmtpClient>> Connect(const std::string& endpoint,
                                                                int receive_buffer_bytes);
  ~RawZmtpClient();
  // Sends one single-frame message (blocking, bounded by a 10 s send timeout).
  absl::Status SendMessage(std::string_view body);
  // Sends raw bytes as they are (e.g. half a frame).
  absl::Status SendRaw(std::string_view bytes);
  // Reads and discards until the seeder closes the connection (true) or
  // `timeout` passes (false).
  bool WaitClosedByPeer(absl::Duration timeout);

 private:
  explicit RawZmtpClient(int fd) : fd_(fd) {}
  // Reads the seeder's greeting and READY command (DATA_LOSS if they are
  // not ZMTP, DEADLINE_EXCEEDED after `timeout`).
  absl::Status AwaitHandshake(absl::Duration timeout);
  absl::Status ReceiveExactly(size_t n, absl::Time deadline, std::string& out);
  int fd_;
};

struct SlowReaderOptions {
  std::string dir;  // working folder (created)
  uint64_t file_bytes = 32ull << 20;
  int attackers = 16;
  int requests_per_attacker = 200;
  uint32_t budget_mib = 32;
  absl::Duration download_timeout = absl::Seconds(120);
};

struct SlowReaderReport {
  uint64_t seeder_rss_start_bytes = 0;  // VmRSS before any download
  uint64_t seeder_peak_rss_bytes = 0;   // VmHWM at the end of the attack
  uint64_t seeder_rss_after_bytes = 0;  // VmRSS once the attackers have gone
  double undisturbed_seconds = 0;       // leecher's own measure, no attack
  double attacked_seconds = 0;          // same download under attack
  bool undisturbed_ok = false;          // completed with the right SHA-256
  bool attacked_ok = false;
  int attackers_connected = 0;  // sent all their requests (ZeroMQ resets some)
  std::string attacker_error;   // the first failure of one that did not
  // From the seeder's state/counters.json (written at its clean exit).
  uint64_t requests_throttled = 0;
  uint64_t requesters_dropped = 0;
  uint64_t serving_peak_bytes = 0;
  uint64_t chunks_served = 0;
};

absl::StatusOr<SlowReaderReport> RunSlowReaderAttack(const SlowReaderOptions& options);

// A field ("VmRSS:", "VmHWM:") of /proc/PID/status in bytes; 0 if unknown.
uint64_t ProcStatusBytes(pid_t pid, std::string_view field);

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_INTEGRATION_SLOW_READER_ATTACK_H_
