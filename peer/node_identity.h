#ifndef PYTORRENT_PEER_NODE_IDENTITY_H_
#define PYTORRENT_PEER_NODE_IDENTITY_H_

// A node's identity on the tracker, kept across restarts in
// HOME/state/identity, so a restarted node refreshes its own registration
// at once instead of being locked out of its username (ALREADY_EXISTS) until
// the old registration expires.
//
// File format (text, created once with mode 0600, written atomically):
//   # PyTorrent node identity ...
//   peer_id=<16 hex digits>
//   peer_key=<16 hex digits>
//   check=<first 16 hex digits of SHA-256("<peer_id>:<peer_key>")>
// A file that does not parse, misses a line or fails its check is DATA_LOSS
// with a message that names the file and says how to start afresh; it is
// never replaced silently (the key is what proves the node to the tracker).
//
// Example:
//   absl::StatusOr<NodeIdentity> id = LoadOrCreateNodeIdentity(home + "/state/identity", Rand);
//
// Pure codec plus one function doing file I/O; thread-compatible.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pytorrent::peer {

struct NodeIdentity {
  uint64_t peer_id = 0;   // never 0
  uint64_t peer_key = 0;  // secret: proves the registration is ours
};

std::string EncodeNodeIdentity(const NodeIdentity& identity);
// DATA_LOSS (naming what is wrong) for anything but an intact identity.
absl::StatusOr<NodeIdentity> DecodeNodeIdentity(std::string_view text);

// Reads `path`, or creates it from `random` if it does not exist.
// DATA_LOSS for a damaged file (message names `path`), other codes for I/O
// errors.
absl::StatusOr<NodeIdentity> LoadOrCreateNodeIdentity(const std::string& path,
                                                      const std::function<uint64_t()>& random);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_NODE_IDENTITY_H_
