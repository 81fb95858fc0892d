// The rules of an UpdateSettingsRequest, shared by the admin server and the node.
#include "peer/settings_update.h"

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

v1::UpdateSettingsRequest Request(std::string username, std::string host, uint32_t port) {
  v1::UpdateSettingsRequest request;
  request.set_username(std::move(username));
  request.set_tracker_host(std::move(host));
  request.set_tracker_port(port);
  return request;
}

TEST(SettingsUpdateTest, AnEmptyRequestChangesNothing) {
  absl::StatusOr<SettingsUpdate> update = ParseSettingsUpdate({});
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->username, "");
  EXPECT_EQ(update->tracker_host, "");
  EXPECT_EQ(update->tracker_port, 0);
}

TEST(SettingsUpdateTest, ValidFieldsAreParsedHostWithoutBrackets) {
  absl::StatusOr<SettingsUpdate> update = ParseSettingsUpdate(Request("alice", "[::1]", 6969));
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->username, "alice");
  EXPECT_EQ(update->tracker_host, "::1");
  EXPECT_EQ(update->tracker_port, 6969);
}

TEST(SettingsUpdateTest, EachBadFieldIsNamed) {
  struct Case {
    v1::UpdateSettingsRequest request;
    const char* field;
  };
  for (const Case& c : {Case{Request("bad/name", "", 0), "username"},
                        Case{Request(std::string(33, 'a'), "", 0), "username"},
                        Case{Request("", "host:6969", 0), "tracker_host"},
                        Case{Request("", std::string(300, 'h'), 0), "tracker_host"},
                        Case{Request("", "", 65536), "tracker_port"}}) {
    absl::StatusOr<SettingsUpdate> update = ParseSettingsUpdate(c.request);
    ASSERT_TRUE(absl::IsInvalidArgument(update.status())) << c.field << ": " << update.status();
    EXPECT_EQ(update.status().message().rfind(c.field, 0), 0u) << update.status();
  }
}

}  // namespace
}  // namespace pytorrent::peer
