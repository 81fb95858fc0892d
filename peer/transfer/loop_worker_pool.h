#ifndef PYTORRENT_PEER_TRANSFER_LOOP_WORKER_POOL_H_
#define PYTORRENT_PEER_TRANSFER_LOOP_WORKER_POOL_H_

// Worker threads that take blocking work (hashing, disk I/O) off the node's
// loop thread and hand the results back to it (STYLE.md §5). The loop
// Submit()s jobs; a worker takes every queued job at once (up to
// `max_batch`) and runs its batch function on them; results come back in
// completion order. The loop learns of them through `wake_socket()`, an
// inproc PULL it polls beside its peer sockets, and collects them with
// TakeResults(). Each worker has its own inproc PUSH socket (ZeroMQ sockets
// are never shared) and its own batch function, made by `make_worker` on
// the worker's thread, so per-thread state (a hashing context) needs no lock.
//
// Example:
//   LoopWorkerPool<Read, Done> pool(context, "reader", /*workers=*/1, /*max_batch=*/8, [] {
//     return [](std::vector<Read>& jobs, std::vector<Done>& out) {
//       for (Read& r : jobs) out.push_back(DoRead(r));
//     };
//   });
//   pool.Submit(Read{...});
//   // loop: poll pool.wake_socket(); on POLLIN:
//   for (Done& d : pool.TakeResults()) Handle(d);
//
// Submit/TakeResults/wake_socket/pending: loop thread only. The destructor
// drops queued jobs and joins the workers (a running batch finishes first).

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "zmq.hpp"

namespace pytorrent::peer {

namespace loop_worker_pool_internal {
// A process-unique inproc endpoint for one pool's wake socket.
std::string NextEndpoint(const std::string& name);
}  // namespace loop_worker_pool_internal

template <typename Job, typename Result>
class LoopWorkerPool {
 public:
  using BatchFunction = std::function<void(std::vector<Job>& jobs, std::vector<Result>& results)>;

  LoopWorkerPool(zmq::context_t& context, const std::string& name, int workers, size_t max_batch,
                 std::function<BatchFunction()> make_worker)
      : endpoint_(loop_worker_pool_internal::NextEndpoint(name)),
        max_batch_(std::max<size_t>(1, max_batch)),
        wake_(context, zmq::socket_type::pull) {
    wake_.set(zmq::sockopt::linger, 0);
    wake_.bind(endpoint_);
    for (int i = 0; i < std::max(1, workers); ++i) {
      workers_.emplace_back([this, &context, make_worker] { Run(context, make_worker()); });
    }
  }

  ~LoopWorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      jobs_.clear();
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  LoopWorkerPool(const LoopWorkerPool&) = delete;
  LoopWorkerPool& operator=(const LoopWorkerPool&) = delete;

  void Submit(Job job) {
    ++pending_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

  // Every finished job so far (also drains the wake socket).
  std::vector<Result> TakeResults() {
    zmq::message_t token;
    try {
      while (wake_.recv(token, zmq::recv_flags::dontwait)) {
      }
    } catch (const zmq::error_t&) {
    }
    std::vector<Result> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      out.swap(results_);
      wake_sent_ = false;
    }
    pending_ -= std::min(pending_, out.size());
    return out;
  }

  // Readable when results are waiting.
  zmq::socket_t& wake_socket() { return wake_; }
  // Jobs submitted and not yet taken back.
  size_t pending() const { return pending_; }

 private:
  void Run(zmq::context_t& context, BatchFunction work) {
    zmq::socket_t push(context, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.connect(endpoint_);
    std::vector<Job> batch;
    std::vector<Result> done;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      // Everything queued (up to max_batch): one lock round trip and one
      // wake-up of the loop for all of it.
      batch.clear();
      while (!jobs_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(jobs_.front()));
        jobs_.pop_front();
      }
      lock.unlock();
      done.clear();
      work(batch, done);
      lock.lock();
      for (Result& r : done) results_.push_back(std::move(r));
      if (!wake_sent_) {
        wake_sent_ = true;
        // The loop drains every token and then the whole result list, so one
        // token per batch is enough; a full pipe (impossible at one token)
        // is harmless for the same reason.
        try {
          push.send(zmq::str_buffer("w"), zmq::send_flags::dontwait);
        } catch (const zmq::error_t&) {
        }
      }
    }
  }

  const std::string endpoint_;
  const size_t max_batch_;
  zmq::socket_t wake_;
  size_t pending_ = 0;  // loop thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<Result> results_;
  bool wake_sent_ = false;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_LOOP_WORKER_POOL_H_
