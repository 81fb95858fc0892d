#include "tests/fault_proxy/link_faults.h"

#include <algorithm>

namespace pytorrent::testing {

UdpFaultPlan::UdpFaultPlan(const UdpFaults& faults, uint64_t seed)
    : faults_(faults), state_(seed ^ 0x9e3779b97f4a7c15ULL) {}

double UdpFaultPlan::NextUnit() {
  // splitmix64: small, seedable, good enough for fault injection.
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(uint64_t{1} << 53);
}

std::vector<absl::Time> UdpFaultPlan::Schedule(absl::Time now) {
  std::vector<absl::Time> out;
  // Draw every number for every datagram, so one fault's probability does
  // not shift the others' sequence.
  const bool lost = NextUnit() < faults_.loss;
  const bool duplicated = NextUnit() < faults_.duplicate;
  const bool reordered = NextUnit() < faults_.reorder;
  if (lost) return out;
  const absl::Time at =
      now + faults_.delay + (reordered ? faults_.reorder_by : absl::ZeroDuration());
  out.push_back(at);
  if (duplicated) out.push_back(at);
  return out;
}

absl::Time TcpPacer::Admit(size_t bytes, absl::Time now) {
  absl::Time sent = now;
  if (shape_.bits_per_s > 0) {
    const absl::Duration on_the_line =
        absl::Seconds(static_cast<double>(bytes) * 8.0 / shape_.bits_per_s);
    line_free_ = std::max(line_free_, now) + on_the_line;
    sent = line_free_;
  }
  return sent + shape_.delay;
}

}  // namespace pytorrent::testing
