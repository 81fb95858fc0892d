#include "peer/storage/resume_writer.h"

#include <unistd.h>

#include "common/log.h"

namespace pytorrent::peer {

ResumeWriter::ResumeWriter(int data_fd, std::string path, std::function<void()> after_sync)
    : data_fd_(data_fd),
      path_(std::move(path)),
      after_sync_(std::move(after_sync)),
      worker_([this] { Run(); }) {}

ResumeWriter::~ResumeWriter() { Stop(); }

void ResumeWriter::Submit(const ResumeState& snapshot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    pending_ = snapshot;
    ++submitted_;
  }
  cv_.notify_all();
}

void ResumeWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = submitted_;
  cv_.wait(lock, [&] { return saved_ >= target || !worker_.joinable(); });
}

void ResumeWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

int ResumeWriter::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

void ResumeWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return pending_.has_value() || stopping_; });
    if (!pending_.has_value()) break;  // stopping with nothing left
    ResumeState snapshot = std::move(*pending_);
    pending_.reset();
    uint64_t covers = submitted_;
    lock.unlock();
    // Data first, then the state that claims it.
    absl::Status status = absl::OkStatus();
    if (::fdatasync(data_fd_) != 0) status = absl::InternalError("fdatasync failed");
    if (status.ok() && after_sync_ != nullptr) after_sync_();
    if (status.ok()) status = snapshot.Save(path_);
    lock.lock();
    if (!status.ok()) {
      ++failures_;
      PT_LOG_WARN("saving resume state {}: {}", path_, status.ToString());
    }
    saved_ = covers;
    cv_.notify_all();
  }
  saved_ = submitted_;
  cv_.notify_all();
}

}  // namespace pytorrent::peer
