#ifndef PYTORRENT_COMMON_MUTEX_H_
#define PYTORRENT_COMMON_MUTEX_H_

// A mutex the compiler can reason about: std::mutex with clang's
// thread-safety annotations, so members marked ABSL_GUARDED_BY(mu_) are
// checked by `bazel build --config=tsa` (-Wthread-safety).
//
// Why not absl::Mutex: Debian's abseil is built without ThreadSanitizer
// annotations, so under --config=tsan its locking is invisible and every
// guarded member would be reported as a race; std::mutex is intercepted.
//
// Example:
//   Mutex mu_;
//   int count_ ABSL_GUARDED_BY(mu_) = 0;
//   void Add() { MutexLock lock(mu_); ++count_; }
//
// Thread-safe.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pytorrent {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Tells the analysis the caller holds this mutex (a runtime no-op).
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A condition variable used with Mutex. Wait* release the mutex while
// waiting and hold it again on return.
class CondVar {
 public:
  void SignalAll() { cv_.notify_all(); }
  // Waits until `done()` holds (checked with `mu` held) or `deadline`
  // passes; returns `done()`.
  template <typename Predicate>
  bool WaitUntil(Mutex& mu, absl::Time deadline, Predicate done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    bool result = true;
    while (!done()) {
      if (absl::Now() >= deadline) {
        result = false;
        break;
      }
      // Bounded slices: an InfiniteFuture deadline does not overflow the
      // chrono conversion.
      cv_.wait_until(lock, absl::ToChronoTime(std::min(deadline, absl::Now() + absl::Hours(1))));
    }
    lock.release();  // still held: the caller's MutexLock unlocks it
    return result;
  }

 private:
  std::condition_variable cv_;
};

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_MUTEX_H_
