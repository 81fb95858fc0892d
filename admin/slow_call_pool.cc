#include "admin/slow_call_pool.h"

#include <utility>

#include "absl/time/time.h"

namespace pytorrent::admin {

SlowCallPool::SlowCallPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { WorkerMain(); });
}

SlowCallPool::~SlowCallPool() { Stop(); }

void SlowCallPool::Stop() {
  Drain();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void SlowCallPool::Submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> abandon) {
  {
    MutexLock lock(mu_);
    if (!draining_) {
      queue_.push_back({std::move(work), std::move(abandon)});
      cv_.SignalAll();
      return;
    }
  }
  abandon();
}

void SlowCallPool::Drain() {
  std::deque<Call> abandoned;
  {
    MutexLock lock(mu_);
    draining_ = true;
    abandoned.swap(queue_);
    cv_.SignalAll();
  }
  for (Call& call : abandoned) call.abandon();
}

size_t SlowCallPool::pending() const {
  MutexLock lock(mu_);
  return queue_.size() + running_;
}

void SlowCallPool::WorkerMain() {
  while (true) {
    Call call;
    {
      MutexLock lock(mu_);
      cv_.WaitUntil(mu_, absl::InfiniteFuture(), [this] {
        mu_.AssertHeld();
        return draining_ || !queue_.empty();
      });
      if (queue_.empty()) return;  // draining
      call = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    call.work();
    MutexLock lock(mu_);
    --running_;
  }
}

}  // namespace pytorrent::admin
