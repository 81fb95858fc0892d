#ifndef PYTORRENT_TRACKER_CONNECTION_ID_H_
#define PYTORRENT_TRACKER_CONNECTION_ID_H_

// BEP 15 style connection ids: a keyed MAC of the client's source address and
// a time window, so the tracker keeps no per-client state before the
// handshake and a spoofed source address never gets a usable id.
//
// id = first 8 bytes of HMAC-SHA256(secret, window || family || address || port)
// where window = floor(unix_seconds / window_length). `Verify` accepts the
// current and the previous window, so an id stays valid for at least one
// window length (reported to clients as the lifetime) and at most two.
//
// Example:
//   ConnectionIdMinter minter(secret, absl::Seconds(120));
//   uint64_t id = minter.Mint(from, now);
//   if (!minter.Verify(id, from, now)) Reject();
//
// Pure: the secret and the time are inputs; no clock, no randomness. The
// HMAC keying is precomputed once, so Mint/Verify cost two SHA-256 blocks.
// Not thread-safe (each thread needs its own minter); copyable is disabled.

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pytorrent::tracker {

inline constexpr size_t kSecretBytes = 32;
inline constexpr absl::Duration kDefaultConnectionIdWindow = absl::Seconds(120);

// Where a datagram came from: an IPv4 or IPv6 address and a UDP port.
struct SourceAddress {
  // 4 for IPv4 (first 4 bytes of `address` used), 6 for IPv6.
  uint8_t family = 4;
  std::array<uint8_t, 16> address{};
  uint16_t port = 0;

  static SourceAddress Ipv4(uint32_t host_order_ip, uint16_t port);
  bool operator==(const SourceAddress&) const = default;
};

class ConnectionIdMinter {
 public:
  // `secret` must hold kSecretBytes bytes; `window` must be whole seconds, at least 1.
  static absl::StatusOr<std::unique_ptr<ConnectionIdMinter>> Create(std::string_view secret,
                                                                    absl::Duration window);
  ~ConnectionIdMinter();
  ConnectionIdMinter(const ConnectionIdMinter&) = delete;
  ConnectionIdMinter& operator=(const ConnectionIdMinter&) = delete;

  // The id for `from` at `now`. Never 0.
  uint64_t Mint(const SourceAddress& from, absl::Time now);
  // True if `id` was minted for `from` in the window of `now` or the one before.
  bool Verify(uint64_t id, const SourceAddress& from, absl::Time now);
  // The guaranteed lifetime of a fresh id (one window).
  absl::Duration lifetime() const { return window_; }

 private:
  struct State;
  ConnectionIdMinter(std::unique_ptr<State> state, absl::Duration window);
  uint64_t MintForWindow(const SourceAddress& from, int64_t window_index);
  int64_t WindowIndex(absl::Time now) const;

  std::unique_ptr<State> state_;
  absl::Duration window_;
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_CONNECTION_ID_H_
