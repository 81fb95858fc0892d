#include "tracker/transaction_id_recovery.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/tracker.pb.h"

namespace pytorrent::tracker {
namespace {

uint32_t Recover(const std::string& bytes) {
  return RecoverTransactionId(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

TEST(TransactionIdRecoveryTest, ReadsTheIdOfAWellFormedRequest) {
  v1::TrackerRequest r;
  r.set_connection_id(0x0102030405060708);
  r.set_transaction_id(0xDEADBEEF);
  r.mutable_list_peers()->set_page_token("garbage");
  EXPECT_EQ(Recover(r.SerializeAsString()), 0xDEADBEEFu);
}

TEST(TransactionIdRecoveryTest, LastIdWinsLikeProtobuf) {
  const std::string bytes = std::string("\x15\x01\x00\x00\x00\x15\x02\x00\x00\x00", 10);
  EXPECT_EQ(Recover(bytes), 2u);
  v1::TrackerRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.transaction_id(), 2u);
}

TEST(TransactionIdRecoveryTest, IgnoresContentsOfLengthDelimitedFields) {
  // announce (field 4) holding bytes that are not a message, then the id.
  const std::string bytes = std::string("\x22\x03\xff\xff\xff\x15\x2a\x00\x00\x00", 10);
  EXPECT_EQ(Recover(bytes), 42u);
}

TEST(TransactionIdRecoveryTest, Field2WithAnotherWireTypeIsNotTheId) {
  // Field 2 as a varint: protobuf keeps it as an unknown field.
  EXPECT_EQ(Recover(std::string("\x10\x05", 2)), 0u);
}

TEST(TransactionIdRecoveryTest, BrokenFramingGivesZero) {
  const std::string id = std::string("\x15\x07\x00\x00\x00", 5);
  EXPECT_EQ(Recover(id), 7u);
  EXPECT_EQ(Recover(id + "\x22\x05" + "ab"), 0u);           // length past the end
  EXPECT_EQ(Recover(id + std::string("\x00\x01", 2)), 0u);  // field number 0
  EXPECT_EQ(Recover(id + "\x0b"), 0u);                      // start-group
  EXPECT_EQ(Recover(id + "\x09" + "1234"), 0u);             // truncated fixed64
  EXPECT_EQ(Recover(id + std::string(11, '\x80')), 0u);     // varint key too long
  EXPECT_EQ(Recover(std::string("\x15\x07\x00", 3)), 0u);   // truncated id
  EXPECT_EQ(Recover(""), 0u);
}

}  // namespace
}  // namespace pytorrent::tracker
