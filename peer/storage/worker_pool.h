#ifndef PYTORRENT_PEER_STORAGE_WORKER_POOL_H_
#define PYTORRENT_PEER_STORAGE_WORKER_POOL_H_

// Worker threads for blocking work (hashing, disk I/O) that hand each
// batch's results to `deliver`, called on the worker thread: the owner
// typically posts them to its event loop. A worker takes every queued job at
// once (up to `max_batch`) so one multi-buffer hashing pass covers them; its
// batch function is made by `make_worker` on the worker's own thread, so
// per-thread state (a hashing context) needs no lock.
//
// Example:
//   WorkerPool<Job, Done> pool(/*workers=*/1, /*max_batch=*/8, MakeWorker,
//                              [&](std::vector<Done> done) { loop.Post(...); });
//   pool.Submit(Job{...});
//
// Submit is thread-safe. The destructor drops queued jobs and joins the
// workers (a running batch finishes and is delivered first).

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pytorrent::peer {

template <typename Job, typename Result>
class WorkerPool {
 public:
  using BatchFunction = std::function<void(std::vector<Job>& jobs, std::vector<Result>& results)>;
  using Deliver = std::function<void(std::vector<Result> results)>;

  WorkerPool(int workers, size_t max_batch, std::function<BatchFunction()> make_worker,
             Deliver deliver)
      : max_batch_(std::max<size_t>(1, max_batch)), deliver_(std::move(deliver)) {
    for (int i = 0; i < std::max(1, workers); ++i) {
      workers_.emplace_back([this, make_worker] { Run(make_worker()); });
    }
  }

  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      jobs_.clear();
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(Job job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void Run(BatchFunction work) {
    std::vector<Job> batch;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      batch.clear();
      while (!jobs_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(jobs_.front()));
        jobs_.pop_front();
      }
      lock.unlock();
      std::vector<Result> done;
      work(batch, done);
      deliver_(std::move(done));
      lock.lock();
    }
  }

  const size_t max_batch_;
  const Deliver deliver_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_WORKER_POOL_H_
