#ifndef PYTORRENT_PEER_STORAGE_LINE_LOG_H_
#define PYTORRENT_PEER_STORAGE_LINE_LOG_H_

// `LineLog` appends lines to a log file (logs/download.log) without making
// the caller wait on the disk: Append queues the line and a
// BackgroundExecutor task writes what is queued, in the order appended, with
// one O_APPEND write per batch (a reader never sees half a line from us).
//
// Example:
//   LineLog log(home + "/logs/download.log", disk);
//   log.Append("2026-12-02T07:00:00Z song.mp3 size=…\n");
//
// Thread-safe. Lines still queued when the executor is destroyed are
// written by its last tasks (the executor runs every task submitted).

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "peer/storage/background_executor.h"

namespace pytorrent::peer {

class LineLog {
 public:
  LineLog(std::string path, BackgroundExecutor& executor);

  void Append(std::string line);
  // Lines that could not be written (the file could not be opened or
  // written); each failure is logged once per batch.
  uint64_t lines_lost() const;

 private:
  // Shared with the executor's tasks, so they may outlive this object.
  struct State {
    std::string path;
    std::mutex mu;
    std::deque<std::string> pending;
    uint64_t lost = 0;
    // Held by the one task writing, so batches reach the file in order.
    std::mutex write_mu;
  };
  static void Drain(State& state);

  std::shared_ptr<State> state_;
  BackgroundExecutor& executor_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_LINE_LOG_H_
