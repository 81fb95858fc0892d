#ifndef PYTORRENT_COMMON_EVENT_LOOP_H_
#define PYTORRENT_COMMON_EVENT_LOOP_H_

// One thread that owns some state: other threads hand it work with Post(),
// which wakes it through an eventfd; the loop thread also runs timers.
//
// Two ways to drive it:
//   - Run() on a thread of its own: waits for posted work and the next
//     timer until Stop().
//   - Inside a loop that polls its own sockets (the peer's ZeroMQ loop):
//     poll wake_fd() beside them, sleep at most UntilNextTimer(), then call
//     RunReady().
//
// Example:
//   EventLoop loop;
//   std::thread thread([&] { loop.Run(); });
//   loop.Post([&] { state.Apply(change); });           // from any thread
//   loop.Post([&] { loop.RunAfter(absl::Seconds(5), [&] { state.Expire(); }); });
//   loop.Stop();
//   thread.join();
//
// Post() and Stop() are thread-safe; everything else is for the loop thread.
// Timers read the injected clock, so tests drive them with a fake one and
// RunReady().

#include <cstdint>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/time_source.h"

namespace pytorrent {

class EventLoop {
 public:
  using Task = absl::AnyInvocable<void()>;
  enum class TimerId : uint64_t {};

  // `clock` must outlive the loop; the default is the system clock.
  explicit EventLoop(const TimeSource* clock = nullptr);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Any thread. Runs `task` on the loop thread, after the tasks posted
  // before it. After Stop() tasks are dropped unrun (destroyed).
  void Post(Task task);
  // Any thread. Run() returns once the task in progress (if any) ends.
  // Idempotent.
  void Stop();
  bool stopping() const;

  // Loop thread: runs `task` once the clock reaches `when`.
  TimerId RunAt(absl::Time when, Task task);
  TimerId RunAfter(absl::Duration delay, Task task) {
    return RunAt(clock_.Now() + delay, std::move(task));
  }
  // Loop thread: the timer will not run (no-op if it ran or is unknown).
  void Cancel(TimerId id);

  // Runs posted tasks and due timers until Stop(), sleeping in between.
  void Run();

  // For loops that poll their own descriptors: readable when work was posted.
  int wake_fd() const { return wake_fd_; }
  // Loop thread: runs what was posted so far, then the timers that are due.
  void RunReady();
  // Loop thread: how long until the next timer is due (zero if one is,
  // InfiniteDuration if none).
  absl::Duration UntilNextTimer() const;
  // Timers not yet run.
  size_t pending_timers() const { return timers_.size(); }

 private:
  struct Timer {
    TimerId id;
    Task task;
  };

  const TimeSource& clock_;
  const int wake_fd_;
  mutable Mutex mu_;
  std::vector<Task> posted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Loop thread only.
  std::multimap<absl::Time, Timer> timers_;
  uint64_t next_timer_id_ = 1;
};

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_EVENT_LOOP_H_
