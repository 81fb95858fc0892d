#include "common/event_loop.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace pytorrent {
namespace {

const TimeSource& SystemClock() {
  static const RealTimeSource* const clock = new RealTimeSource();
  return *clock;
}

int MakeEventFd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  // Only fails when the process is out of descriptors or memory at start.
  if (fd < 0) std::abort();
  return fd;
}

}  // namespace

EventLoop::EventLoop(const TimeSource* clock)
    : clock_(clock != nullptr ? *clock : SystemClock()), wake_fd_(MakeEventFd()) {}

EventLoop::~EventLoop() { ::close(wake_fd_); }

void EventLoop::Post(Task task) {
  {
    MutexLock lock(mu_);
    if (stopping_) return;
    posted_.push_back(std::move(task));
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void EventLoop::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

bool EventLoop::stopping() const {
  MutexLock lock(mu_);
  return stopping_;
}

EventLoop::TimerId EventLoop::RunAt(absl::Time when, Task task) {
  const TimerId id{next_timer_id_++};
  timers_.emplace(when, Timer{id, std::move(task)});
  return id;
}

void EventLoop::Cancel(TimerId id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.id == id) {
      timers_.erase(it);
      return;
    }
  }
}

absl::Duration EventLoop::UntilNextTimer() const {
  if (timers_.empty()) return absl::InfiniteDuration();
  return std::max(absl::ZeroDuration(), timers_.begin()->first - clock_.Now());
}

void EventLoop::RunReady() {
  uint64_t value;
  (void)!::read(wake_fd_, &value, sizeof(value));
  std::vector<Task> tasks;
  {
    MutexLock lock(mu_);
    tasks.swap(posted_);
  }
  for (Task& task : tasks) task();
  // Only timers due now: one that a timer adds for "now" runs next round,
  // so a timer re-arming itself cannot starve posted work.
  const absl::Time now = clock_.Now();
  std::vector<Task> due;
  while (!timers_.empty() && timers_.begin()->first <= now) {
    due.push_back(std::move(timers_.begin()->second.task));
    timers_.erase(timers_.begin());
  }
  for (Task& task : due) task();
}

void EventLoop::Run() {
  while (!stopping()) {
    const absl::Duration wait = UntilNextTimer();
    pollfd pfd{wake_fd_, POLLIN, 0};
    const int timeout_ms =
        wait == absl::InfiniteDuration()
            ? -1
            : static_cast<int>(std::min<int64_t>(
                  absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))), 60'000));
    if (::poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) std::abort();
    if (stopping()) break;
    RunReady();
  }
  // Posted work that never ran is destroyed here, on the loop thread.
  std::vector<Task> dropped;
  {
    MutexLock lock(mu_);
    dropped.swap(posted_);
  }
}

}  // namespace pytorrent
