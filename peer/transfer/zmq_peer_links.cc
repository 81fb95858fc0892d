#include "peer/transfer/zmq_peer_links.h"

namespace pytorrent::peer {

absl::Status ZmqPeerLinks::Open(PeerHandle handle, const std::string& endpoint) {
  absl::StatusOr<std::unique_ptr<ZmqLeecher>> link = ZmqLeecher::Connect(context_, endpoint);
  if (!link.ok()) return link.status();
  Close(handle);
  links_[static_cast<uint32_t>(handle)] = *std::move(link);
  return absl::OkStatus();
}

void ZmqPeerLinks::Close(PeerHandle handle) {
  auto it = links_.find(static_cast<uint32_t>(handle));
  if (it == links_.end()) return;
  malformed_closed_ += it->second->malformed();
  links_.erase(it);
}

bool ZmqPeerLinks::Send(PeerHandle handle, const v1::PeerMessage& message) {
  auto it = links_.find(static_cast<uint32_t>(handle));
  return it != links_.end() && it->second->Send(message);
}

uint64_t ZmqPeerLinks::malformed() const {
  uint64_t total = malformed_closed_;
  for (const auto& [key, link] : links_) total += link->malformed();
  return total;
}

void ZmqPeerLinks::CollectSockets(std::vector<std::pair<zmq::socket_t*, PeerHandle>>& out) {
  for (auto& [key, link] : links_) out.emplace_back(&link->socket(), PeerHandle{key});
}

void ZmqPeerLinks::Receive(PeerHandle handle, Download& download, absl::Time now,
                           int max_messages) {
  for (int i = 0; i < max_messages && !download.finished(); ++i) {
    // Looked up each time: the download may close this link on any message.
    auto it = links_.find(static_cast<uint32_t>(handle));
    if (it == links_.end()) return;
    std::optional<ZmqLeecher::Incoming> in = it->second->Receive();
    if (!in.has_value()) break;
    ChunkBytes bytes;
    if (in->has_data) {
      auto frame = std::make_shared<zmq::message_t>(std::move(in->data));
      bytes = ChunkBytes::Of(frame, frame->data(), frame->size());
    }
    download.OnMessage(handle, in->header, std::move(bytes), now);
  }
  download.AfterMessages(handle, now);
}

}  // namespace pytorrent::peer
