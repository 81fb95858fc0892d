#ifndef PYTORRENT_PEER_STORAGE_BYTE_CODEC_H_
#define PYTORRENT_PEER_STORAGE_BYTE_CODEC_H_

// Little-endian fixed-width integers for the peer's own state files.
//
// Example:
//   std::string out; PutU32(out, 7);
//   ByteReader in(out); uint32_t v; if (!in.U32(v)) error();
//
// Header-only, pure.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pytorrent::peer {

inline void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads from a buffer without ever going past its end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool U32(uint32_t& v) {
    if (bytes_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes_[i])) << (8 * i);
    bytes_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t& v) {
    if (bytes_.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[i])) << (8 * i);
    bytes_.remove_prefix(8);
    return true;
  }
  bool Bytes(size_t n, std::string_view& out) {
    if (bytes_.size() < n) return false;
    out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return true;
  }
  size_t remaining() const { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_BYTE_CODEC_H_
