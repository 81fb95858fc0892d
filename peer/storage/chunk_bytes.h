#ifndef PYTORRENT_PEER_STORAGE_CHUNK_BYTES_H_
#define PYTORRENT_PEER_STORAGE_CHUNK_BYTES_H_

// `ChunkBytes` carries a received chunk's bytes from the network to the disk
// without copying them and without naming the buffer's type: the transport
// hands over its frame (a ZeroMQ message) as `owner`, and whoever holds the
// last copy frees it. The download core and storage never see ZeroMQ.
//
// Example:
//   auto frame = std::make_shared<zmq::message_t>(std::move(received));
//   ChunkBytes bytes = ChunkBytes::Of(frame, frame->data(), frame->size());
//   storage.Store(tag, chunk, std::move(bytes));
//
// A value type; copies share the buffer (read-only).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"

namespace pytorrent::peer {

struct ChunkBytes {
  // Keeps `data` alive.
  std::shared_ptr<const void> owner;
  const uint8_t* data = nullptr;
  size_t size = 0;

  static ChunkBytes Of(std::shared_ptr<const void> owner, const void* data, size_t size) {
    return {std::move(owner), static_cast<const uint8_t*>(data), size};
  }
  // A private copy (tests and small frames).
  static ChunkBytes Copy(absl::Span<const uint8_t> bytes) {
    auto buffer = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
    return Of(buffer, buffer->data(), buffer->size());
  }

  absl::Span<const uint8_t> span() const { return {data, size}; }
  bool empty() const { return size == 0; }
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_CHUNK_BYTES_H_
