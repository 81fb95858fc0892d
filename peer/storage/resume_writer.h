#ifndef PYTORRENT_PEER_STORAGE_RESUME_WRITER_H_
#define PYTORRENT_PEER_STORAGE_RESUME_WRITER_H_

// Saves a download's resume state off the loop thread: for each snapshot,
// fdatasync the data file first (so the state never claims chunks a power cut
// could lose), then write the state atomically. Only the newest pending
// snapshot is kept: a slow disk delays saves, it never queues them.
//
// Example:
//   ResumeWriter writer(file->fd(), state_dir + "/" + hex + ".resume");
//   writer.Submit(resume_state);   // returns at once
//   writer.Flush();                // waits until that snapshot is durable
//
// Thread-safe; owns one worker thread. The data descriptor must outlive it.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "peer/storage/resume_state.h"

namespace pytorrent::peer {

class ResumeWriter {
 public:
  // `after_sync`, if set, runs on the worker after each successful data sync
  // (the download uses it to drop already-hashed, now clean pages from the
  // page cache so memory stays flat whatever the file size).
  ResumeWriter(int data_fd, std::string path, std::function<void()> after_sync = nullptr);
  ~ResumeWriter();
  ResumeWriter(const ResumeWriter&) = delete;
  ResumeWriter& operator=(const ResumeWriter&) = delete;

  void Submit(const ResumeState& snapshot);
  // Blocks until every snapshot submitted so far is saved (or failed).
  void Flush();
  // Flushes, then stops the worker; later Submits are ignored.
  void Stop();
  // Saves that failed (logged once each).
  int failures() const;

 private:
  void Run();

  const int data_fd_;
  const std::string path_;
  const std::function<void()> after_sync_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<ResumeState> pending_;
  uint64_t submitted_ = 0;
  uint64_t saved_ = 0;
  int failures_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_RESUME_WRITER_H_
