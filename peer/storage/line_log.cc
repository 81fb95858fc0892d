#include "peer/storage/line_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/log.h"

namespace pytorrent::peer {

LineLog::LineLog(std::string path, BackgroundExecutor& executor)
    : state_(std::make_shared<State>()), executor_(executor) {
  state_->path = std::move(path);
}

void LineLog::Append(std::string line) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->pending.push_back(std::move(line));
  }
  executor_.Submit([state = state_] { Drain(*state); });
}

uint64_t LineLog::lines_lost() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->lost;
}

void LineLog::Drain(State& state) {
  std::lock_guard<std::mutex> writing(state.write_mu);
  for (;;) {
    std::deque<std::string> batch;
    {
      std::lock_guard<std::mutex> lock(state.mu);
      batch.swap(state.pending);
    }
    if (batch.empty()) return;  // an earlier task wrote this one's line
    std::string text;
    for (const std::string& line : batch) text += line;
    int fd = ::open(state.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    const int open_errno = errno;
    size_t done = 0;
    while (ok && done < text.size()) {
      ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = false;
        break;
      }
      done += static_cast<size_t>(n);
    }
    const int write_errno = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) {
      {
        std::lock_guard<std::mutex> lock(state.mu);
        state.lost += batch.size();
      }
      PT_LOG_WARN("{}: {} line(s) not written: {}", state.path, batch.size(),
                  std::strerror(fd < 0 ? open_errno : write_errno));
    }
  }
}

}  // namespace pytorrent::peer
