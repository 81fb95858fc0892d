// Issue 14 finding 5: proto/ must state every limit and name every value a
// client can see. Each expectation below ties a constant of the real code to
// the text of proto/, so changing a limit without its documentation fails.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/file_limits.h"
#include "tracker/request_handler.h"
#include "tracker/swarm_registry.h"

namespace pytorrent {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// 262080 -> "262,080".
std::string WithCommas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

TEST(ProtoDocsTest, TrackerLimitsAreWritten) {
  const std::string tracker = Read("proto/tracker.proto");
  const tracker::RegistryLimits defaults;
  for (const std::string& fact : {
           absl::StrCat("larger than ", tracker::kMaxRequestBytes, " bytes are dropped"),
           absl::StrCat("fits in ", tracker::kMaxReplyBytes, " bytes"),
           absl::StrCat("at most ", WithCommas(kMaxChunkCount), " chunks"),
           absl::StrCat(WithCommas(defaults.max_peers), " peers"),
           absl::StrCat(WithCommas(defaults.max_files_per_peer), " files per peer"),
           absl::StrCat(WithCommas(defaults.max_files), " distinct files"),
           absl::StrCat(WithCommas(defaults.max_holdings), " (peer, file) pairs"),
           absl::StrCat("`page_size` 0 means ", defaults.default_page_size),
           absl::StrCat("clamped to ", defaults.max_page_size),
           absl::StrCat("0 means ", defaults.default_file_peers, ", at most ",
                        defaults.max_file_peers),
           absl::StrCat("MALFORMED), at most ", tracker::kMaxEndpointBytes, " bytes"),
           absl::StrCat("Search queries: at most ", tracker::kMaxQueryBytes, " bytes"),
       }) {
    EXPECT_NE(tracker.find(fact), std::string::npos) << "tracker.proto lacks: " << fact;
  }
}

TEST(ProtoDocsTest, EveryErrorKindIsNamedInAdminProto) {
  const std::string admin = Read("proto/admin.proto");
  for (int i = 0; i < static_cast<int>(tracker::RejectKind::kCount); ++i) {
    const std::string_view name = tracker::RejectKindName(static_cast<tracker::RejectKind>(i));
    EXPECT_NE(admin.find(absl::StrCat("\"", std::string(name), "\"")), std::string::npos)
        << "errors_by_kind name not documented: " << name;
  }
  for (const char* fact : {"<home>/state/admin.sock", "grpc.reflection.v1.ServerReflection",
                           "`page_size` at most 1000", "at most 256 bytes"}) {
    EXPECT_NE(admin.find(fact), std::string::npos) << "admin.proto lacks: " << fact;
  }
}

TEST(ProtoDocsTest, WireSequenceAndLimitsAreWritten) {
  const std::string wire = Read("proto/wire.proto");
  for (const std::string& fact : {
           std::string("S -> L  Bitfield              (always, right after the manifest)"),
           absl::StrCat("a chunk count over ", WithCommas(kMaxChunkCount)),
           std::string("Header frames are at most 64 KiB"),
           absl::StrCat("at most ", kMaxManifestFrameBytes / (1024 * 1024), " MiB"),
           std::string("REJECT_REASON_NO_CREDIT"),
           std::string("L -> S  Cancel"),
       }) {
    EXPECT_NE(wire.find(fact), std::string::npos) << "wire.proto lacks: " << fact;
  }
}

}  // namespace
}  // namespace pytorrent
