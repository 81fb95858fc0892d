#include "tracker/connection_id.h"

// The low-level SHA-256 API is deprecated in OpenSSL 3 but is the fastest
// path: its context is a plain struct, so the keyed HMAC states are copied
// with no allocation (EVP_MD_CTX_copy_ex allocates in OpenSSL 3).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstring>

namespace pytorrent::tracker {

namespace {
constexpr size_t kBlockBytes = 64;  // SHA-256 block size
}  // namespace

SourceAddress SourceAddress::Ipv4(uint32_t host_order_ip, uint16_t port) {
  SourceAddress a;
  a.family = 4;
  a.address[0] = static_cast<uint8_t>(host_order_ip >> 24);
  a.address[1] = static_cast<uint8_t>(host_order_ip >> 16);
  a.address[2] = static_cast<uint8_t>(host_order_ip >> 8);
  a.address[3] = static_cast<uint8_t>(host_order_ip);
  a.port = port;
  return a;
}

// HMAC-SHA256 with the inner and outer keyed states computed once; each MAC
// copies them (RFC 2104 construction).
struct ConnectionIdMinter::State {
  SHA256_CTX inner_keyed;
  SHA256_CTX outer_keyed;
};

absl::StatusOr<std::unique_ptr<ConnectionIdMinter>> ConnectionIdMinter::Create(
    std::string_view secret, absl::Duration window) {
  if (secret.size() != kSecretBytes) {
    return absl::InvalidArgumentError("connection id secret must be 32 bytes");
  }
  if (window < absl::Seconds(1) || window != absl::Seconds(absl::ToInt64Seconds(window))) {
    return absl::InvalidArgumentError("connection id window must be whole seconds, at least 1");
  }
  auto state = std::make_unique<State>();
  uint8_t ipad[kBlockBytes];
  uint8_t opad[kBlockBytes];
  std::memset(ipad, 0x36, sizeof(ipad));
  std::memset(opad, 0x5c, sizeof(opad));
  for (size_t i = 0; i < secret.size(); ++i) {
    ipad[i] ^= static_cast<uint8_t>(secret[i]);
    opad[i] ^= static_cast<uint8_t>(secret[i]);
  }
  if (SHA256_Init(&state->inner_keyed) != 1 ||
      SHA256_Update(&state->inner_keyed, ipad, sizeof(ipad)) != 1 ||
      SHA256_Init(&state->outer_keyed) != 1 ||
      SHA256_Update(&state->outer_keyed, opad, sizeof(opad)) != 1) {
    return absl::InternalError("SHA-256 init failed");
  }
  return std::unique_ptr<ConnectionIdMinter>(new ConnectionIdMinter(std::move(state), window));
}

ConnectionIdMinter::ConnectionIdMinter(std::unique_ptr<State> state, absl::Duration window)
    : state_(std::move(state)), window_(window) {}

ConnectionIdMinter::~ConnectionIdMinter() = default;

uint64_t ConnectionIdMinter::MintForWindow(const SourceAddress& from, int64_t window_index) {
  uint8_t msg[8 + 1 + 16 + 2];
  for (int i = 0; i < 8; ++i) msg[i] = static_cast<uint8_t>(window_index >> (8 * (7 - i)));
  msg[8] = from.family;
  std::memcpy(msg + 9, from.address.data(), 16);
  msg[25] = static_cast<uint8_t>(from.port >> 8);
  msg[26] = static_cast<uint8_t>(from.port);

  uint8_t inner[SHA256_DIGEST_LENGTH];
  uint8_t outer[SHA256_DIGEST_LENGTH];
  SHA256_CTX work = state_->inner_keyed;
  SHA256_Update(&work, msg, sizeof(msg));
  SHA256_Final(inner, &work);
  work = state_->outer_keyed;
  SHA256_Update(&work, inner, sizeof(inner));
  SHA256_Final(outer, &work);
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | outer[i];
  return id == 0 ? 1 : id;
}

int64_t ConnectionIdMinter::WindowIndex(absl::Time now) const {
  const int64_t seconds = absl::ToUnixSeconds(now);
  const int64_t window = absl::ToInt64Seconds(window_);
  // Floor division, also for times before 1970.
  return seconds >= 0 ? seconds / window : -((-seconds + window - 1) / window);
}

uint64_t ConnectionIdMinter::Mint(const SourceAddress& from, absl::Time now) {
  return MintForWindow(from, WindowIndex(now));
}

bool ConnectionIdMinter::Verify(uint64_t id, const SourceAddress& from, absl::Time now) {
  if (id == 0) return false;
  const int64_t window = WindowIndex(now);
  return MintForWindow(from, window) == id || MintForWindow(from, window - 1) == id;
}

}  // namespace pytorrent::tracker
