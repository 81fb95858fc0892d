#include "peer/storage/file_hasher.h"

#include <unistd.h>

#include <cerrno>
#include <vector>

namespace pytorrent::peer {

FileHasher::FileHasher(int fd, uint64_t size_bytes, uint32_t block_bytes)
    : fd_(fd), size_bytes_(size_bytes), block_bytes_(block_bytes), worker_([this] { Run(); }) {}

FileHasher::~FileHasher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void FileHasher::AdvanceTo(uint64_t prefix_bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (prefix_bytes <= ready_) return;
    ready_ = std::min(prefix_bytes, size_bytes_);
  }
  cv_.notify_all();
}

void FileHasher::Feed(uint64_t offset, absl::Span<const uint8_t> bytes,
                      std::shared_ptr<const void> owner) {
  std::lock_guard<std::mutex> lock(mu_);
  if (offset < ready_ || offset < hashed_ || bytes.empty() || offset + bytes.size() > size_bytes_) {
    return;  // may already be (being) read from disk: the disk copy serves
  }
  segments_[offset] = Segment{bytes, std::move(owner)};
}

absl::StatusOr<Sha256Digest> FileHasher::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return done_ || failed_; });
  if (failed_) return absl::InternalError("reading the file back for its SHA-256 failed");
  return digest_;
}

void FileHasher::Run() {
  Sha256 hasher;
  std::vector<uint8_t> buffer(block_bytes_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (hashed_ == size_bytes_) {
      digest_ = hasher.Finish();
      done_ = true;
      cv_.notify_all();
      return;
    }
    if (hashed_ >= ready_) {
      cv_.wait(lock, [this] { return stopping_ || ready_ > hashed_; });
      continue;
    }
    // Fed segments that were overtaken, or that reach past the final
    // prefix (never the case for chunk-aligned feeds), are read from disk.
    while (!segments_.empty() && (segments_.begin()->first < hashed_ ||
                                  (segments_.begin()->first == hashed_ &&
                                   hashed_ + segments_.begin()->second.bytes.size() > ready_))) {
      segments_.erase(segments_.begin());
    }
    uint64_t end = ready_;
    Segment segment;
    if (!segments_.empty() && segments_.begin()->first == hashed_) {
      segment = std::move(segments_.begin()->second);
      segments_.erase(segments_.begin());
    } else if (!segments_.empty() && segments_.begin()->first < end) {
      end = segments_.begin()->first;  // read from disk up to the next fed bytes
    }
    lock.unlock();
    bool ok = true;
    uint64_t position = hashed_;
    if (!segment.bytes.empty()) {
      hasher.Update(segment.bytes);
      position += segment.bytes.size();
      progress_->store(position, std::memory_order_release);
      segment = Segment{};  // release the buffer before taking the lock
      end = position;
    }
    while (position < end && ok) {
      size_t length = static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - position));
      size_t done = 0;
      while (done < length) {
        ssize_t n =
            ::pread(fd_, buffer.data() + done, length - done, static_cast<off_t>(position + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ok = false;
          break;
        }
        done += static_cast<size_t>(n);
      }
      if (!ok) break;
      hasher.Update(absl::MakeConstSpan(buffer.data(), length));
      position += length;
      progress_->store(position, std::memory_order_release);
    }
    lock.lock();
    hashed_ = position;
    if (!ok) {
      failed_ = true;
      cv_.notify_all();
      return;
    }
  }
}

}  // namespace pytorrent::peer
