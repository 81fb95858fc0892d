#ifndef PYTORRENT_PEER_TRANSFER_WIRE_CODEC_H_
#define PYTORRENT_PEER_TRANSFER_WIRE_CODEC_H_

// Size-checked parsing and building of wire.proto header frames.
//
// Example:
//   v1::PeerMessage m;
//   if (!ParsePeerMessage(frame.data(), frame.size(), m).ok()) count_malformed();
//
// Pure; thread-safe.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "common/sha256.h"
#include "proto/wire.pb.h"

namespace pytorrent::peer {

inline constexpr size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxManifestHeaderBytes = 8 * 1024 * 1024 + 4096;

// INVALID_ARGUMENT if `size` exceeds `max_bytes`, the bytes do not parse, or
// no body is set.
inline absl::Status ParsePeerMessage(const void* data, size_t size, size_t max_bytes,
                                     v1::PeerMessage& out) {
  if (size > max_bytes) return absl::InvalidArgumentError("header frame too large");
  if (!out.ParseFromArray(data, static_cast<int>(size))) {
    return absl::InvalidArgumentError("header frame does not parse");
  }
  if (out.body_case() == v1::PeerMessage::BODY_NOT_SET) {
    return absl::InvalidArgumentError("header frame has no body");
  }
  return absl::OkStatus();
}

inline v1::PeerMessage MakeReject(v1::RejectReason reason, std::string message,
                                  const std::string& root_hash = {}, uint32_t chunk_index = 0) {
  v1::PeerMessage m;
  v1::Reject* r = m.mutable_reject();
  r->set_reason(reason);
  r->set_message(std::move(message));
  r->set_root_hash(root_hash);
  r->set_chunk_index(chunk_index);
  return m;
}

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_TRANSFER_WIRE_CODEC_H_
