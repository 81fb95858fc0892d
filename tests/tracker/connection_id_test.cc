#include "tracker/connection_id.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/time_source.h"

namespace pytorrent::tracker {
namespace {

const std::string kSecret(kSecretBytes, 's');
const SourceAddress kAlice = SourceAddress::Ipv4(0x7f000001, 40000);

std::unique_ptr<ConnectionIdMinter> Minter(const std::string& secret = kSecret) {
  auto m = ConnectionIdMinter::Create(secret, absl::Seconds(120));
  EXPECT_TRUE(m.ok()) << m.status();
  return std::move(*m);
}

TEST(ConnectionIdTest, FreshIdVerifies) {
  FakeTimeSource clock;
  auto m = Minter();
  const uint64_t id = m->Mint(kAlice, clock.Now());
  EXPECT_NE(id, 0u);
  EXPECT_TRUE(m->Verify(id, kAlice, clock.Now()));
  EXPECT_EQ(m->lifetime(), absl::Seconds(120));
}

TEST(ConnectionIdTest, ForgedIdIsRejected) {
  FakeTimeSource clock;
  auto m = Minter();
  const uint64_t id = m->Mint(kAlice, clock.Now());
  EXPECT_FALSE(m->Verify(0, kAlice, clock.Now()));
  EXPECT_FALSE(m->Verify(42, kAlice, clock.Now()));
  EXPECT_FALSE(m->Verify(id ^ 1, kAlice, clock.Now()));
}

TEST(ConnectionIdTest, IdFromAnotherAddressIsRejected) {
  FakeTimeSource clock;
  auto m = Minter();
  const uint64_t id = m->Mint(kAlice, clock.Now());
  EXPECT_FALSE(m->Verify(id, SourceAddress::Ipv4(0x7f000002, 40000), clock.Now()));
  EXPECT_FALSE(m->Verify(id, SourceAddress::Ipv4(0x7f000001, 40001), clock.Now()));
  SourceAddress v6 = kAlice;
  v6.family = 6;
  EXPECT_FALSE(m->Verify(id, v6, clock.Now()));
}

TEST(ConnectionIdTest, IdLivesAtLeastOneWindowAndAtMostTwo) {
  FakeTimeSource clock(absl::FromUnixSeconds(1'700'000'040));  // mid-window
  auto m = Minter();
  const uint64_t id = m->Mint(kAlice, clock.Now());
  clock.Advance(absl::Seconds(120));
  EXPECT_TRUE(m->Verify(id, kAlice, clock.Now()));
  clock.Advance(absl::Seconds(120));
  EXPECT_FALSE(m->Verify(id, kAlice, clock.Now()));  // expired
}

TEST(ConnectionIdTest, IdFromAnotherSecretIsRejected) {
  FakeTimeSource clock;
  auto a = Minter();
  auto b = Minter(std::string(kSecretBytes, 't'));
  EXPECT_FALSE(b->Verify(a->Mint(kAlice, clock.Now()), kAlice, clock.Now()));
}

TEST(ConnectionIdTest, IsTruncatedHmacSha256OfWindowAndAddress) {
  // Known answer from OpenSSL's one-shot HMAC over the documented message:
  // window (8 bytes BE) || family || address (16 bytes) || port (2 bytes BE).
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  const int64_t window = 1'700'000'000 / 120;
  uint8_t msg[27] = {};
  for (int i = 0; i < 8; ++i) msg[i] = static_cast<uint8_t>(window >> (8 * (7 - i)));
  msg[8] = 4;
  msg[9] = 127;
  msg[12] = 1;
  msg[25] = 40000 >> 8;
  msg[26] = 40000 & 0xff;
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()), msg, sizeof(msg), mac, &len);
  uint64_t want = 0;
  for (int i = 0; i < 8; ++i) want = (want << 8) | mac[i];
  EXPECT_EQ(Minter()->Mint(kAlice, now), want);
}

TEST(ConnectionIdTest, RejectsBadConfiguration) {
  EXPECT_EQ(ConnectionIdMinter::Create("short", absl::Seconds(120)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConnectionIdMinter::Create(kSecret, absl::Milliseconds(10)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pytorrent::tracker
