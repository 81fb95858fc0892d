#ifndef PYTORRENT_PEER_SPACE_RETRY_H_
#define PYTORRENT_PEER_SPACE_RETRY_H_

// When a download that failed for disk space is tried again, so it goes on
// by itself once space is back: a pure core (no clock of its own, no I/O),
// unit-tested with made-up times.
//
// A download that fails with RESOURCE_EXHAUSTED (a full disk, a quota, a
// file size limit: not enough space up front, or a chunk write refused) is
// retried after `first_wait`, then after twice as long each time it fails
// for space again, at most `max_wait` apart, until it completes, fails for
// another reason, or is cancelled (Forget). A retry resumes from what is
// verified on disk: nothing is fetched twice.
//
// Example (the node's loop):
//   SpaceRetry retry({});
//   if (SpaceRetry::IsForSpace(failure)) {
//     loop.RunAfter(retry.OnFailedForSpace(root, now), [&] { RetryDue(); });
//   }
//   for (const Sha256Digest& root : retry.TakeDue(now)) StartDownload(root);
//
// Not thread-safe: owned by the node's loop.

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sha256.h"

namespace pytorrent::peer {

struct SpaceRetryOptions {
  absl::Duration first_wait = absl::Seconds(1);
  absl::Duration max_wait = absl::Seconds(30);
};

class SpaceRetry {
 public:
  explicit SpaceRetry(SpaceRetryOptions options) : options_(options) {}

  // True if a download that failed with `failure` waits for space.
  static bool IsForSpace(const absl::Status& failure) { return absl::IsResourceExhausted(failure); }

  // The download of `root` failed for space at `now`. Returns how long until
  // its retry is due (the caller arms a timer for it).
  absl::Duration OnFailedForSpace(const Sha256Digest& root, absl::Time now);
  // The download of `root` completed, failed otherwise or was cancelled:
  // no retry.
  void Forget(const Sha256Digest& root) { pending_.erase(root); }
  // Roots whose retry is due at `now`, each once per failure (a retry that
  // fails for space again is scheduled by OnFailedForSpace anew, later).
  std::vector<Sha256Digest> TakeDue(absl::Time now);
  // True if `root` waits for a retry or is being retried.
  bool Pending(const Sha256Digest& root) const { return pending_.count(root) > 0; }
  // Failures for space of `root` since it last did anything else.
  uint32_t Failures(const Sha256Digest& root) const;

 private:
  struct Entry {
    uint32_t failures = 0;
    // InfiniteFuture once taken (a retry is running).
    absl::Time due = absl::InfiniteFuture();
  };
  SpaceRetryOptions options_;
  std::map<Sha256Digest, Entry> pending_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_SPACE_RETRY_H_
