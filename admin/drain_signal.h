#ifndef PYTORRENT_ADMIN_DRAIN_SIGNAL_H_
#define PYTORRENT_ADMIN_DRAIN_SIGNAL_H_

// A one-way "the server is shutting down" flag that long-running handlers
// (WatchDownload) wait on, so Shutdown wakes them at once instead of letting
// them run into the grace deadline; and a second moment, "the server has
// stopped" (no call runs in gRPC any more), before the server is destroyed,
// when services stop threads of their own that may still be returning from
// a call.
//
// Example:
//   if (drain.WaitFor(absl::Milliseconds(250))) return ShuttingDown();
//
// Thread-safe.

#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace pytorrent::admin {

class DrainSignal {
 public:
  // Raises the flag and wakes every waiter. Idempotent.
  void Begin() {
    std::vector<absl::AnyInvocable<void()>> listeners;
    {
      MutexLock lock(mu_);
      draining_ = true;
      listeners.swap(listeners_);
      raised_.SignalAll();
    }
    for (auto& listener : listeners) listener();
  }

  // Runs `listener` once when the flag is raised (on the thread raising
  // it), or at once if it already is.
  void OnBegin(absl::AnyInvocable<void()> listener) const {
    {
      MutexLock lock(mu_);
      if (!draining_) {
        listeners_.push_back(std::move(listener));
        return;
      }
    }
    listener();
  }

  // Runs `listener` when Stopped() is called (on that thread). Listeners
  // are registered while the server is built, before any call.
  void OnStopped(absl::AnyInvocable<void()> listener) const {
    MutexLock lock(mu_);
    stopped_listeners_.push_back(std::move(listener));
  }
  // The server has stopped: runs the OnStopped listeners once.
  void Stopped() {
    std::vector<absl::AnyInvocable<void()>> listeners;
    {
      MutexLock lock(mu_);
      listeners.swap(stopped_listeners_);
    }
    for (auto& listener : listeners) listener();
  }

  bool draining() const {
    MutexLock lock(mu_);
    return draining_;
  }

  // Waits until the flag is raised or `timeout` passes; returns the flag.
  bool WaitFor(absl::Duration timeout) const {
    MutexLock lock(mu_);
    raised_.WaitUntil(mu_, absl::Now() + timeout, [this] {
      mu_.AssertHeld();
      return draining_;
    });
    return draining_;
  }

 private:
  mutable Mutex mu_;
  mutable CondVar raised_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  mutable std::vector<absl::AnyInvocable<void()>> listeners_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<absl::AnyInvocable<void()>> stopped_listeners_ ABSL_GUARDED_BY(mu_);
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
