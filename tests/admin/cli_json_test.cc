#include "admin/cli_commands.h"
#include "gtest/gtest.h"

namespace pytorrent::admin {
namespace {

TEST(CliJsonTest, MapKeysAreSortedAndEveryFieldIsPresent) {
  v1::TrackerStats stats;
  for (const char* kind : {"zeta", "alpha", "mid", "beta", "omega", "gamma"}) {
    (*stats.mutable_errors_by_kind())[kind] = 1;
  }
  EXPECT_EQ(ToJson(stats),
            "{\"peers\":0,\"files\":0,\"requests\":\"0\",\"announces\":\"0\","
            "\"announces_per_s\":0,\"errors_by_kind\":{\"alpha\":\"1\",\"beta\":\"1\","
            "\"gamma\":\"1\",\"mid\":\"1\",\"omega\":\"1\",\"zeta\":\"1\"},"
            "\"uptime_seconds\":\"0\"}");
}

TEST(CliJsonTest, ExitCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), kExitFailed);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("tracker down")), kExitFailed);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("cannot reach the node at unix:/x")),
            kExitUnreachable);
}

}  // namespace
}  // namespace pytorrent::admin
