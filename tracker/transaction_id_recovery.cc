#include "tracker/transaction_id_recovery.h"

#include <optional>

namespace pytorrent::tracker {
namespace {

constexpr uint32_t kTransactionIdField = 2;
constexpr int kMaxVarintBytes = 10;

enum WireType : uint64_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Reads a varint at `*pos`, advancing it; nullopt when truncated or longer
// than 10 bytes.
std::optional<uint64_t> ReadVarint(absl::Span<const uint8_t> bytes, size_t* pos) {
  uint64_t value = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (*pos >= bytes.size()) return std::nullopt;
    const uint8_t b = bytes[(*pos)++];
    value |= uint64_t{b & 0x7fu} << (7 * i);
    if ((b & 0x80u) == 0) return value;
  }
  return std::nullopt;
}

}  // namespace

uint32_t RecoverTransactionId(absl::Span<const uint8_t> datagram) {
  uint32_t transaction_id = 0;
  size_t pos = 0;
  while (pos < datagram.size()) {
    const std::optional<uint64_t> key = ReadVarint(datagram, &pos);
    if (!key.has_value() || (*key >> 3) == 0 || (*key >> 3) > UINT32_MAX) return 0;
    const uint64_t field = *key >> 3;
    const size_t left = datagram.size() - pos;
    switch (*key & 7) {
      case kVarint:
        if (!ReadVarint(datagram, &pos).has_value()) return 0;
        break;
      case kFixed64:
        if (left < 8) return 0;
        pos += 8;
        break;
      case kLengthDelimited: {
        const std::optional<uint64_t> length = ReadVarint(datagram, &pos);
        if (!length.has_value() || *length > datagram.size() - pos) return 0;
        pos += static_cast<size_t>(*length);
        break;
      }
      case kFixed32:
        if (left < 4) return 0;
        if (field == kTransactionIdField) {
          transaction_id = uint32_t{datagram[pos]} | uint32_t{datagram[pos + 1]} << 8 |
                           uint32_t{datagram[pos + 2]} << 16 | uint32_t{datagram[pos + 3]} << 24;
        }
        pos += 4;
        break;
      default:  // groups (3, 4) and the undefined 6, 7
        return 0;
    }
  }
  return transaction_id;
}

}  // namespace pytorrent::tracker
