#include "peer/storage/background_executor.h"

#include <algorithm>

namespace pytorrent::peer {

BackgroundExecutor::BackgroundExecutor(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
}

BackgroundExecutor::~BackgroundExecutor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void BackgroundExecutor::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

size_t BackgroundExecutor::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size() + running_;
}

void BackgroundExecutor::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    // Drain before stopping: queued work is a download's last state save.
    if (tasks_.empty()) return;
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.unlock();
    task();
    task = nullptr;  // captured state goes before the count says done
    lock.lock();
    --running_;
  }
}

}  // namespace pytorrent::peer
