#ifndef PYTORRENT_TESTS_FAULT_PROXY_LINK_FAULTS_H_
#define PYTORRENT_TESTS_FAULT_PROXY_LINK_FAULTS_H_

// The decisions of the test fault proxy, apart from its sockets: what
// happens to each UDP datagram (lost, delayed, duplicated, reordered) and
// when each TCP byte run may leave (a fixed one-way delay behind a rate
// cap). This kernel has no netem, so tests shape links with this instead.
//
// Example:
//   UdpFaultPlan plan({.loss = 0.3, .delay = absl::Milliseconds(100)}, /*seed=*/1);
//   for (absl::Time at : plan.Schedule(now)) Send(datagram, at);  // none: lost
//
//   TcpPacer pacer({.delay = absl::Milliseconds(50), .bits_per_s = 400e6});
//   absl::Time at = pacer.Admit(bytes.size(), now);  // forward at `at`
//
// Pure: time is a parameter, randomness a seed. Not thread-safe.

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace pytorrent::testing {

struct UdpFaults {
  // Probability that a datagram is dropped.
  double loss = 0;
  // One-way delay of every datagram that is not dropped.
  absl::Duration delay = absl::ZeroDuration();
  // Probability that a datagram is delivered twice.
  double duplicate = 0;
  // Probability that a datagram is held back `reorder_by` longer, so later
  // ones overtake it.
  double reorder = 0;
  absl::Duration reorder_by = absl::Milliseconds(30);
};

class UdpFaultPlan {
 public:
  UdpFaultPlan(const UdpFaults& faults, uint64_t seed);
  // When copies of a datagram that arrived at `now` leave: none (lost), one,
  // or two (duplicated).
  std::vector<absl::Time> Schedule(absl::Time now);

 private:
  double NextUnit();  // uniform in [0, 1)
  UdpFaults faults_;
  uint64_t state_;
};

struct TcpShape {
  // One-way delay added to every byte.
  absl::Duration delay = absl::ZeroDuration();
  // Rate cap of this direction; 0: none.
  double bits_per_s = 0;
};

// One direction of a TCP link: bytes leave at the cap's pace, then travel
// `delay`, so a window of W bytes carries at most W per round trip, as on a
// real far link.
class TcpPacer {
 public:
  explicit TcpPacer(const TcpShape& shape) : shape_(shape) {}
  // `bytes` read at `now` may be forwarded from the returned time.
  absl::Time Admit(size_t bytes, absl::Time now);

 private:
  TcpShape shape_;
  absl::Time line_free_ = absl::InfinitePast();
};

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_FAULT_PROXY_LINK_FAULTS_H_
