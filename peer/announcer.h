#ifndef PYTORRENT_PEER_ANNOUNCER_H_
#define PYTORRENT_PEER_ANNOUNCER_H_

// When the node announces to the tracker, and what it sends: a pure core
// (no sockets, no clock of its own), unit-tested with made-up times.
//
// When: not before the first shared-folder scan is done; then at once when
// the announced set changed (a file shared, withdrawn, switched off, a new
// username or tracker), every `interval`, and, while downloads gain
// chunks, at most every `chunk_interval`. A failed announce is retried
// after `retry` (or the interval, if shorter), not in a tight loop.
//
// What: the files in pages of kFilesPerAnnounce; the first page replaces
// the tracker's list of our files, the others add to it.
//
// Example (the node's tracker thread):
//   Announcer announcer({.interval = absl::Seconds(60)});
//   if (announcer.Due(inputs, now)) {
//     bool ok = Send(AnnounceRequests(identity, files));
//     announcer.OnAnnounced(ok, now);
//   }
//   wait until announcer.NextCheck(inputs, now) or a change
//
// Not thread-safe: owned by one thread.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proto/tracker.pb.h"

namespace pytorrent::peer {

// Files per announce datagram (keeps each under the tracker's size cap).
inline constexpr size_t kFilesPerAnnounce = 24;

struct AnnouncerOptions {
  absl::Duration interval = absl::Seconds(60);
  absl::Duration chunk_interval = absl::Seconds(5);
  absl::Duration retry = absl::Seconds(2);
  // Before the first scan is done, how often to look again.
  absl::Duration scan_poll = absl::Milliseconds(100);
};

// What the decision depends on, read from the node's state.
struct AnnounceInputs {
  // The first shared-folder scan is done (nothing is announced before).
  bool scanned = false;
  // The announced set changed since the last announce.
  bool files_changed = false;
  // A download in progress gained chunks since the last announce.
  bool chunks_changed = false;
};

class Announcer {
 public:
  explicit Announcer(AnnouncerOptions options) : options_(options) {}

  // True if an announce should go out at `now`.
  bool Due(const AnnounceInputs& in, absl::Time now) const;
  // When to look again if nothing changes meanwhile (`now` or later).
  absl::Time NextCheck(const AnnounceInputs& in, absl::Time now) const;
  // An announce (all its pages) went out at `now`; `ok` false if it failed.
  void OnAnnounced(bool ok, absl::Time now);

 private:
  AnnouncerOptions options_;
  absl::Time next_announce_ = absl::InfinitePast();
  absl::Time last_announce_ = absl::InfinitePast();
};

// Who announces.
struct AnnounceIdentity {
  uint64_t peer_id = 0;
  uint64_t peer_key = 0;
  std::string username;
  // The chunk port the tracker lists at the announce's source address.
  uint32_t chunk_port = 0;
  // A claimed endpoint (a specific bound host), or empty.
  std::string chunk_endpoint;
};

// The datagrams of one announce: `files` in pages of kFilesPerAnnounce (at
// least one request, so an empty set is announced too).
std::vector<v1::AnnounceRequest> AnnounceRequests(const AnnounceIdentity& who,
                                                  const std::vector<v1::FileAvailability>& files);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_ANNOUNCER_H_
