#include "admin/request_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pytorrent::admin {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(RequestValidationTest, RootHashMustBe32Bytes) {
  EXPECT_TRUE(ValidateRootHash(std::string(32, 'a'), "root_hash").ok());
  absl::Status s = ValidateRootHash(std::string(31, 'a'), "root_hash");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("root_hash must be a 32-byte SHA-256 root hash, got 31"));
}

TEST(RequestValidationTest, StartDownloadNeedsHashOrSafeName) {
  v1::StartDownloadRequest r;
  EXPECT_EQ(Validate(r).code(), absl::StatusCode::kInvalidArgument);
  r.set_name("a/b");
  EXPECT_THAT(Message(Validate(r)), HasSubstr("name: file name may not contain a path separator"));
  r.set_name("movie.mp4");
  EXPECT_TRUE(Validate(r).ok());
  r.set_root_hash(std::string(32, '\x01'));
  r.set_name("");
  EXPECT_TRUE(Validate(r).ok());
}

TEST(RequestValidationTest, WatchAndCancelNeedAnId) {
  v1::WatchDownloadRequest w;
  EXPECT_THAT(Message(Validate(w)), HasSubstr("download_id is 0"));
  w.set_download_id(3);
  EXPECT_TRUE(Validate(w).ok());
  w.set_min_interval_ms(kMaxWatchIntervalMs + 1);
  EXPECT_EQ(Validate(w).code(), absl::StatusCode::kInvalidArgument);
  v1::CancelDownloadRequest c;
  EXPECT_EQ(Validate(c).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestValidationTest, SharePathMustBeAbsoluteFile) {
  v1::ShareFileRequest r;
  EXPECT_THAT(Message(Validate(r)), HasSubstr("path is empty"));
  r.set_path("x.txt");
  EXPECT_THAT(Message(Validate(r)), HasSubstr("relative"));
  r.set_path("/tmp/");
  EXPECT_THAT(Message(Validate(r)), HasSubstr("folder"));
  r.set_path(std::string("/tmp/a\0b", 8));
  EXPECT_THAT(Message(Validate(r)), HasSubstr("NUL"));
  r.set_path("/" + std::string(kMaxPathBytes, 'a'));
  EXPECT_EQ(Validate(r).code(), absl::StatusCode::kInvalidArgument);
  r.set_path("/home/me/file.bin");
  EXPECT_TRUE(Validate(r).ok());
}

TEST(RequestValidationTest, UsernamesAndSettings) {
  v1::ChangeUsernameRequest c;
  EXPECT_THAT(Message(Validate(c)), HasSubstr("new_username: username is empty"));
  c.set_new_username("ok_name-1.2");
  EXPECT_TRUE(Validate(c).ok());

  v1::UpdateSettingsRequest u;
  EXPECT_TRUE(Validate(u).ok());  // all empty: nothing changes
  u.set_username("no spaces");
  EXPECT_THAT(Message(Validate(u)), HasSubstr("username:"));
  u.set_username("");
  u.set_tracker_host("host name");
  EXPECT_THAT(Message(Validate(u)), HasSubstr("tracker_host"));
  u.set_tracker_host("[::1]");
  u.set_tracker_port(65536);
  EXPECT_THAT(Message(Validate(u)), HasSubstr("tracker_port"));
  u.set_tracker_port(6969);
  EXPECT_TRUE(Validate(u).ok());
  // One parser for every address (common/host_port.h): IPv6 with or without
  // brackets, never with a port.
  u.set_tracker_host("2001:db8::1");
  EXPECT_TRUE(Validate(u).ok());
  for (const char* bad : {"[::1", "10.0.0.1:6969", "[10.0.0.1]", "not:v6"}) {
    u.set_tracker_host(bad);
    EXPECT_THAT(Message(Validate(u)), HasSubstr("tracker_host")) << bad;
  }
}

TEST(RequestValidationTest, PagingAndSearch) {
  EXPECT_TRUE(ValidatePaging("", 0).ok());
  EXPECT_EQ(ValidatePaging(std::string(kMaxPageTokenBytes + 1, 'x'), 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidatePaging("", kMaxPageSize + 1).code(), absl::StatusCode::kInvalidArgument);
  v1::SearchFilesRequest s;
  s.set_query("holiday");
  EXPECT_TRUE(Validate(s).ok());
  s.set_query("\x1b[31m");
  EXPECT_THAT(Message(Validate(s)), HasSubstr("control characters"));
  v1::EvictPeerRequest e;
  EXPECT_EQ(Validate(e).code(), absl::StatusCode::kInvalidArgument);
  e.set_peer_id(1);
  EXPECT_TRUE(Validate(e).ok());
}

}  // namespace
}  // namespace pytorrent::admin
