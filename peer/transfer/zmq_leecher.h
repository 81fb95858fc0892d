#ifndef PYTORRENT_PEER_TRANSFER_ZMQ_LEECHER_H_
#define PYTORRENT_PEER_TRANSFER_ZMQ_LEECHER_H_

// One leecher connection to one seeder: a ZeroMQ DEALER socket.
//
// Credit-based pipelining: the caller (Download, driven by ChunkScheduler's
// per-peer window) sends at most `window` ChunkRequests before answers come
// back; `outstanding()` counts them, and each ChunkData or Reject returns one
// credit. Received header frames are size-checked and parsed; garbage is
// counted and skipped.
//
// Example:
//   auto leecher = ZmqLeecher::Connect(context, "tcp://127.0.0.1:6881");
//   (*leecher)->SendHello(my_peer_id);
//   (*leecher)->RequestChunk(root, 0);
//   while (auto in = (*leecher)->Receive()) Handle(*in);
//
// Not thread-safe: owned by the node's loop thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "proto/wire.pb.h"
#include "zmq.hpp"

namespace pytorrent::peer {

class ZmqLeecher {
 public:
  struct Incoming {
    v1::PeerMessage header;
    // The raw chunk frame after a ChunkData header; empty otherwise.
    zmq::message_t data;
    bool has_data = false;
  };

  // Creates the DEALER and starts connecting (ZeroMQ connects in the
  // background). INVALID_ARGUMENT for a bad endpoint.
  static absl::StatusOr<std::unique_ptr<ZmqLeecher>> Connect(zmq::context_t& context,
                                                             const std::string& endpoint);

  zmq::socket_t& socket() { return socket_; }
  const std::string& endpoint() const { return endpoint_; }

  bool SendHello(uint64_t peer_id);
  bool RequestManifest(const std::string& root_bytes);
  bool RequestChunk(const std::string& root_bytes, uint32_t chunk);
  bool Cancel(const std::string& root_bytes, uint32_t chunk);
  // Sends any message (false if it could not be queued).
  bool Send(const v1::PeerMessage& message);

  // One parsed message, or nullopt when nothing is pending. Malformed input is
  // counted and skipped.
  std::optional<Incoming> Receive();

  int outstanding() const { return outstanding_; }
  uint64_t malformed() const { return malformed_; }

 private:
  ZmqLeecher(zmq::socket_t socket, std::string endpoint)
      : socket_(std::move(socket)), endpoint_(std::move(endpoint)) {}

  zmq::socket_t socket_;
  std::string endpoint_;
  int outstanding_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_ZMQ_LEECHER_H_
