#include "tracker/connection_id.h"

#include <gtest/gtest.h>

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

TEST(ConnectionIdTest, RejectsBadConfiguration) {
  EXPECT_EQ(ConnectionIdMinter::Create("short", absl::Seconds(120)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConnectionIdMinter::Create(kSecret, absl::Milliseconds(10)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pytorrent::tracker
