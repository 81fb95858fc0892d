#ifndef PYTORRENT_PEER_DOWNLOAD_PEER_LINKS_H_
#define PYTORRENT_PEER_DOWNLOAD_PEER_LINKS_H_

// `PeerLinks` is how a Download talks to its peers: one link per session
// handle, opened to a peer's chunk endpoint, carrying wire messages
// (proto/wire.proto) out. What comes back is handed to the download by the
// owner of the links (Download::OnMessage), so the download itself never
// touches a socket: the node uses ZmqPeerLinks (peer/transfer), tests a
// scripted fake.
//
// Loop thread only.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "peer/download/chunk_scheduler.h"
#include "proto/wire.pb.h"

namespace pytorrent::peer {

class PeerLinks {
 public:
  virtual ~PeerLinks() = default;
  // Starts connecting session `handle` to `endpoint` (in the background).
  // INVALID_ARGUMENT for an endpoint this transport cannot use.
  virtual absl::Status Open(PeerHandle handle, const std::string& endpoint) = 0;
  // Closes the link; unknown handles are ignored.
  virtual void Close(PeerHandle handle) = 0;
  // Queues `message` for the peer; false if it could not be queued.
  virtual bool Send(PeerHandle handle, const v1::PeerMessage& message) = 0;
  // Frames from any of these links that failed to parse, so far.
  virtual uint64_t malformed() const = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_DOWNLOAD_PEER_LINKS_H_
