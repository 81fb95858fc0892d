#include "peer/settings_update.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/names.h"

namespace pytorrent::peer {

absl::StatusOr<SettingsUpdate> ParseSettingsUpdate(const v1::UpdateSettingsRequest& request) {
  SettingsUpdate update;
  if (!request.username().empty()) {
    if (absl::Status s = ValidateUsername(request.username()); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("username: ", s.message()));
    }
    update.username = request.username();
  }
  if (!request.tracker_host().empty()) {
    // The same parser as the peer's --tracker flag and config file (it
    // bounds the length first).
    absl::StatusOr<std::string> host = ParseHost(request.tracker_host());
    if (!host.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("tracker_host: ", host.status().message(),
                                                     " (a host name or an IP address, without a "
                                                     "port)"));
    }
    update.tracker_host = *std::move(host);
  }
  if (request.tracker_port() > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("tracker_port is ", request.tracker_port(),
                                                   "; a port is 1..65535 (0 leaves it unchanged)"));
  }
  update.tracker_port = static_cast<uint16_t>(request.tracker_port());
  return update;
}

}  // namespace pytorrent::peer
