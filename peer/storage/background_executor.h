#ifndef PYTORRENT_PEER_STORAGE_BACKGROUND_EXECUTOR_H_
#define PYTORRENT_PEER_STORAGE_BACKGROUND_EXECUTOR_H_

// Threads for a node's slow, one-off disk work: opening and re-checking a
// resumed partial file, verifying and publishing a finished one, saving the
// state of a failed or interrupted one. Owned by the node and shared by its
// downloads, so a download can hand its last work over and be destroyed
// without waiting for it.
//
// Example:
//   BackgroundExecutor disk(/*threads=*/2);
//   disk.Submit([files] { files->Flush(); });
//
// Submit is thread-safe. The destructor runs every task already submitted
// (a node that stops still saves its resume states), then joins.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pytorrent::peer {

class BackgroundExecutor {
 public:
  explicit BackgroundExecutor(int threads);
  ~BackgroundExecutor();
  BackgroundExecutor(const BackgroundExecutor&) = delete;
  BackgroundExecutor& operator=(const BackgroundExecutor&) = delete;

  void Submit(std::function<void()> task);
  // Tasks submitted and not yet finished.
  size_t pending() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_BACKGROUND_EXECUTOR_H_
