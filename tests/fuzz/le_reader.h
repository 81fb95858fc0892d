#ifndef PYTORRENT_TESTS_FUZZ_LE_READER_H_
#define PYTORRENT_TESTS_FUZZ_LE_READER_H_

// Reads the little-endian header fields of the peer's state files, so a
// harness can expect what an input names (kept here rather than widening
// peer/byte_codec's visibility to tests). Never reads past the end.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pytorrent::fuzz {

class LeReader {
 public:
  explicit LeReader(std::string_view bytes) : bytes_(bytes) {}
  template <typename Unsigned>
  bool Read(Unsigned& v) {
    if (bytes_.size() < sizeof(Unsigned)) return false;
    v = 0;
    for (size_t i = 0; i < sizeof(Unsigned); ++i) {
      v |= static_cast<Unsigned>(static_cast<uint8_t>(bytes_[i])) << (8 * i);
    }
    bytes_.remove_prefix(sizeof(Unsigned));
    return true;
  }
  bool Bytes(size_t n, std::string_view& out) {
    if (bytes_.size() < n) return false;
    out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view bytes_;
};

}  // namespace pytorrent::fuzz

#endif  // PYTORRENT_TESTS_FUZZ_LE_READER_H_
