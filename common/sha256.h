#ifndef PYTORRENT_COMMON_SHA256_H_
#define PYTORRENT_COMMON_SHA256_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/types/span.h"

namespace pytorrent {

// A SHA-256 digest, 32 bytes.
using Sha256Digest = std::array<uint8_t, 32>;

// Incremental SHA-256 over OpenSSL's EVP interface.
//
// Example:
//   Sha256 hasher;
//   hasher.Update(first_part);
//   hasher.Update(second_part);
//   Sha256Digest digest = hasher.Finish();
//
// Thread-compatible: one instance per thread. Reusable after Finish().
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::Span<const uint8_t> bytes);
  void Update(std::string_view bytes);
  // Returns the digest of everything since construction or the last Finish().
  Sha256Digest Finish();

  // One-shot helpers.
  static Sha256Digest Of(absl::Span<const uint8_t> bytes);
  static Sha256Digest Of(std::string_view bytes);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Lower-case hex of a digest (64 characters).
std::string ToHex(const Sha256Digest& digest);
// Lower-case hex of any bytes.
std::string BytesToHex(std::string_view bytes);
// The digest as a 32-byte string (protobuf `bytes`).
std::string DigestToBytes(const Sha256Digest& digest);
// Parses 32 raw bytes; false if `bytes` is not exactly 32 long.
bool DigestFromBytes(std::string_view bytes, Sha256Digest& out);
// Parses 64 hex characters (either case); false otherwise.
bool DigestFromHex(std::string_view hex, Sha256Digest& out);

}  // namespace pytorrent

#endif  // PYTORRENT_COMMON_SHA256_H_
