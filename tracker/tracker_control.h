#ifndef PYTORRENT_TRACKER_TRACKER_CONTROL_H_
#define PYTORRENT_TRACKER_TRACKER_CONTROL_H_

// What the admin plane may ask of a running tracker. //admin codes against
// this interface only. Every method is thread-safe and returns promptly.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/admin.pb.h"

namespace pytorrent::tracker {

class TrackerControl {
 public:
  virtual ~TrackerControl() = default;

  virtual v1::TrackerStats GetStats() = 0;
  // One page of swarms or peers. INVALID_ARGUMENT for a page token the
  // tracker did not issue (never an empty "last" page).
  virtual absl::StatusOr<v1::ListSwarmsResponse> ListSwarms(
      const v1::ListSwarmsRequest& request) = 0;
  virtual absl::StatusOr<v1::ListTrackerPeersResponse> ListPeers(
      const v1::ListTrackerPeersRequest& request) = 0;
  // NOT_FOUND if no such peer is registered.
  virtual absl::Status EvictPeer(uint64_t peer_id) = 0;
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_TRACKER_CONTROL_H_
