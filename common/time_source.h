#ifndef PYTORRENT_COMMON_TIME_SOURCE_H_
#define PYTORRENT_COMMON_TIME_SOURCE_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pytorrent {

// Where pure logic reads the time. Production code passes `RealTimeSource`;
// tests pass a fake they advance by hand, so no test sleeps.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual absl::Time Now() const = 0;
};

// The system clock. Thread-safe.
class RealTimeSource final : public TimeSource {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told. Not thread-safe.
class FakeTimeSource final : public TimeSource {
 public:
  explicit FakeTimeSource(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}
  absl::Time Now() const override { return now_; }
  void Advance(absl::Duration by) { now_ += by; }
  void Set(absl::Time now) { now_ = now; }

 private:
  absl::Time now_;
};

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_TIME_SOURCE_H_
