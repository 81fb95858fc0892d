#ifndef PYTORRENT_ADMIN_SLOW_CALL_POOL_H_
#define PYTORRENT_ADMIN_SLOW_CALL_POOL_H_

// Runs the admin calls that may take long (tracker round trips with their
// retries, copying and hashing a shared file) on a few threads of its own,
// so gRPC's threads only ever queue work and return: GetStatus and health
// answer at once however many slow calls are pending.
//
// Every submitted call ends exactly once: `work` runs on a pool thread, or,
// if the pool drains first, `abandon` runs instead (on the draining thread).
//
// Example:
//   pool.Submit([=] { reactor->Finish(Do(*request, response)); },
//               [=] { reactor->Finish(Unavailable()); });
//
// Thread-safe.

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "common/mutex.h"

namespace pytorrent::admin {

class SlowCallPool {
 public:
  explicit SlowCallPool(int threads);
  // Stop().
  ~SlowCallPool();
  SlowCallPool(const SlowCallPool&) = delete;
  SlowCallPool& operator=(const SlowCallPool&) = delete;

  void Submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void()> abandon);
  // Takes no more work and abandons what is queued (calls in progress run
  // to their end). Idempotent; does not wait.
  void Drain();
  // Drains, then waits for the calls in progress to end and the threads to
  // exit (none touches a call or the server afterwards). Idempotent; not
  // from a pool thread.
  void Stop();
  // Calls queued or running.
  size_t pending() const;

 private:
  struct Call {
    absl::AnyInvocable<void()> work;
    absl::AnyInvocable<void()> abandon;
  };
  void WorkerMain();

  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Call> queue_ ABSL_GUARDED_BY(mu_);
  size_t running_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_SLOW_CALL_POOL_H_
