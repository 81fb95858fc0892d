#ifndef PYTORRENT_ADMIN_DRAIN_SIGNAL_H_
#define PYTORRENT_ADMIN_DRAIN_SIGNAL_H_

// A one-way "the server is shutting down" flag that long-running handlers
// (WatchDownload) wait on, so Shutdown wakes them at once instead of letting
// them run into the grace deadline.
//
// Example:
//   if (drain.WaitFor(absl::Milliseconds(250))) return ShuttingDown();
//
// Thread-safe.

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pytorrent::admin {

class DrainSignal {
 public:
  // Raises the flag and wakes every waiter. Idempotent.
  void Begin() {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }

  bool draining() const {
    absl::MutexLock lock(&mu_);
    return draining_;
  }

  // Waits until the flag is raised or `timeout` passes; returns the flag.
  bool WaitFor(absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&draining_), timeout);
    return draining_;
  }

 private:
  mutable absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

// Marks the current thread as running an admin RPC handler, so a Shutdown()
// reached from inside one (e.g. via PeerControl::Disconnect) does not wait
// for its own call to finish.
class AdminHandlerScope {
 public:
  AdminHandlerScope() { active_ = true; }
  ~AdminHandlerScope() { active_ = false; }
  AdminHandlerScope(const AdminHandlerScope&) = delete;
  AdminHandlerScope& operator=(const AdminHandlerScope&) = delete;
  static bool InHandler() { return active_; }

 private:
  static inline thread_local bool active_ = false;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_DRAIN_SIGNAL_H_
