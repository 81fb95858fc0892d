#ifndef PYTORRENT_PEER_TRANSFER_ZMQ_PEER_LINKS_H_
#define PYTORRENT_PEER_TRANSFER_ZMQ_PEER_LINKS_H_

// `ZmqPeerLinks` is the production PeerLinks of one download: a ZmqLeecher
// (a DEALER socket) per session. The node's loop polls the sockets
// (CollectSockets) and, when one is readable, hands what arrived to the
// download (Receive), with the chunk frame passed on without a copy.
//
// Example (node loop):
//   auto links = std::make_unique<ZmqPeerLinks>(context);
//   ZmqPeerLinks* raw = links.get();
//   Download d(options, host, clock, std::move(links), make_storage);
//   raw->CollectSockets(sockets);             // poll them
//   raw->Receive(handle, d, now);             // on POLLIN
//
// Loop thread only.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "peer/download/download.h"
#include "peer/download/peer_links.h"
#include "peer/transfer/zmq_leecher.h"
#include "zmq.hpp"

namespace pytorrent::peer {

class ZmqPeerLinks final : public PeerLinks {
 public:
  explicit ZmqPeerLinks(zmq::context_t& context) : context_(context) {}

  absl::Status Open(PeerHandle handle, const std::string& endpoint) override;
  void Close(PeerHandle handle) override;
  bool Send(PeerHandle handle, const v1::PeerMessage& message) override;
  uint64_t malformed() const override;

  // The sockets to poll, with the session each belongs to.
  void CollectSockets(std::vector<std::pair<zmq::socket_t*, PeerHandle>>& out);
  // Hands up to `max_messages` received messages of `handle` to `download`
  // (bounded, so one fast peer cannot starve the loop), then lets it send.
  void Receive(PeerHandle handle, Download& download, absl::Time now, int max_messages = 64);

 private:
  zmq::context_t& context_;
  std::map<uint32_t, std::unique_ptr<ZmqLeecher>> links_;
  // Malformed frames of links already closed.
  uint64_t malformed_closed_ = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_ZMQ_PEER_LINKS_H_
