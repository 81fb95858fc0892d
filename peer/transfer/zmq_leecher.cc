#include "peer/transfer/zmq_leecher.h"

#include "absl/strings/str_cat.h"
#include "peer/content/manifest.h"
#include "peer/transfer/wire_codec.h"

namespace pytorrent::peer {

absl::StatusOr<std::unique_ptr<ZmqLeecher>> ZmqLeecher::Connect(zmq::context_t& context,
                                                                const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0 && endpoint.rfind("ipc://", 0) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported chunk endpoint '", endpoint, "'"));
  }
  try {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::maxmsgsize,
               static_cast<int64_t>(kMaxManifestHeaderBytes + kMaxChunkSizeBytes));
    // Inbound: the window (<= 16 chunks) plus Have/Bitfield chatter; beyond
    // this ZeroMQ stops reading the TCP socket (back-pressure, no loss), so
    // a peer pushing unrequested data cannot grow our memory without bound.
    socket.set(zmq::sockopt::rcvhwm, 64);
    socket.set(zmq::sockopt::sndhwm, 1024);
    // Seeders listed at an IPv6 address ("tcp://[2001:db8::11]:6881").
    socket.set(zmq::sockopt::ipv6, true);
    socket.connect(endpoint);
    return std::unique_ptr<ZmqLeecher>(new ZmqLeecher(std::move(socket), endpoint));
  } catch (const zmq::error_t& e) {
    return absl::InvalidArgumentError(absl::StrCat("connect ", endpoint, ": ", e.what()));
  }
}

bool ZmqLeecher::Send(const v1::PeerMessage& message) {
  std::string bytes = message.SerializeAsString();
  try {
    return socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;
  }
}

bool ZmqLeecher::SendHello(uint64_t peer_id) {
  v1::PeerMessage m;
  m.mutable_hello()->set_protocol_version(v1::PROTOCOL_VERSION_1);
  m.mutable_hello()->set_peer_id(peer_id);
  return Send(m);
}

bool ZmqLeecher::RequestManifest(const std::string& root_bytes) {
  v1::PeerMessage m;
  m.mutable_manifest_request()->set_root_hash(root_bytes);
  return Send(m);
}

bool ZmqLeecher::RequestChunk(const std::string& root_bytes, uint32_t chunk) {
  v1::PeerMessage m;
  m.mutable_chunk_request()->set_root_hash(root_bytes);
  m.mutable_chunk_request()->set_chunk_index(chunk);
  if (!Send(m)) return false;
  ++outstanding_;
  return true;
}

bool ZmqLeecher::Cancel(const std::string& root_bytes, uint32_t chunk) {
  v1::PeerMessage m;
  m.mutable_cancel()->set_root_hash(root_bytes);
  m.mutable_cancel()->set_chunk_index(chunk);
  if (outstanding_ > 0) --outstanding_;
  return Send(m);
}

std::optional<ZmqLeecher::Incoming> ZmqLeecher::Receive() {
  while (true) {
    zmq::message_t header;
    try {
      if (!socket_.recv(header, zmq::recv_flags::dontwait)) return std::nullopt;
    } catch (const zmq::error_t&) {
      return std::nullopt;
    }
    Incoming in;
    bool more = header.more();
    int extra = 0;
    try {
      while (more) {
        zmq::message_t frame;
        if (!socket_.recv(frame, zmq::recv_flags::none)) break;
        more = frame.more();
        if (extra++ == 0) {
          in.data = std::move(frame);
          in.has_data = true;
        }
      }
    } catch (const zmq::error_t&) {
      return std::nullopt;
    }
    size_t limit = kMaxManifestHeaderBytes;
    if (extra > 1 || !ParsePeerMessage(header.data(), header.size(), limit, in.header).ok() ||
        (in.has_data != (in.header.body_case() == v1::PeerMessage::kChunk))) {
      ++malformed_;
      continue;
    }
    if (in.header.body_case() == v1::PeerMessage::kChunk ||
        in.header.body_case() == v1::PeerMessage::kReject) {
      if (outstanding_ > 0) --outstanding_;
    }
    return in;
  }
}

}  // namespace pytorrent::peer
