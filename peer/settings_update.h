#ifndef PYTORRENT_PEER_SETTINGS_UPDATE_H_
#define PYTORRENT_PEER_SETTINGS_UPDATE_H_

// The rules of an UpdateSettingsRequest, in one place: the admin server
// checks a request with them before it reaches the node (a typed
// INVALID_ARGUMENT naming the field), and the node applies the parsed result
// (it is also called directly, by tests and by other front ends).
//
// Example:
//   absl::StatusOr<SettingsUpdate> update = ParseSettingsUpdate(request);
//   if (!update.ok()) return update.status();  // nothing changed
//   if (!update->tracker_host.empty()) next.tracker_host = update->tracker_host;
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "proto/admin.pb.h"

namespace pytorrent::peer {

// An UpdateSettingsRequest, checked. Empty / 0 fields leave the setting as
// it is.
struct SettingsUpdate {
  std::string username;
  // Canonical form (ParseHost): brackets removed, case as given.
  std::string tracker_host;
  uint16_t tracker_port = 0;
};

// INVALID_ARGUMENT naming the field for a bad username (ValidateUsername),
// a tracker host that is not a host name or IP address, or a port above
// 65535.
absl::StatusOr<SettingsUpdate> ParseSettingsUpdate(const v1::UpdateSettingsRequest& request);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_SETTINGS_UPDATE_H_
