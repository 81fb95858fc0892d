// Damage on the leecher's disk, with real processes: bytes flipped inside
// chunks the resume state lists as verified (after a crash, and silently
// behind a clean stop), a truncated or garbled resume state, and a full
// disk (the leecher's RLIMIT_FSIZE, lowered and raised by PID with
// prlimit(2)) mid-download and up front. Each ends with the right SHA-256;
// only the damaged or missing chunks are fetched again; a download that
// failed for space goes on by itself once space is back, and its failed
// entry shows why and no rate.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/admin.pb.h"
#include "tests/integration/fault_swarm.h"

namespace pytorrent::testing {
namespace {

// Chunks fetched twice around a kill or a failure: those in flight (a
// window of 8 per seeder) and not yet in the saved resume state.
constexpr uint64_t kFewChunks = 24;
constexpr uint32_t kFlipped = 4;

// Flips 8 bytes in the middle of each of `chunks` in `path`.
void FlipBytes(const std::string& path, const std::vector<uint32_t>& chunks, uint64_t chunk_bytes) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.is_open()) << path;
  for (uint32_t c : chunks) {
    const auto offset = static_cast<std::streamoff>(c * chunk_bytes + chunk_bytes / 2);
    char bytes[8];
    file.seekg(offset);
    file.read(bytes, sizeof(bytes));
    for (char& b : bytes) b = static_cast<char>(~b);
    file.seekp(offset);
    file.write(bytes, sizeof(bytes));
  }
}

// Starts a leecher, kills it (SIGKILL) once half the chunks are verified.
// Returns the chunks its resume state lists.
std::vector<uint32_t> CrashHalfWay(FaultSwarm& swarm, const std::string& name) {
  auto first = swarm.StartLeecher(name);
  EXPECT_TRUE(first.ok()) << first.status();
  if (!first.ok()) return {};
  EXPECT_TRUE(swarm.AwaitVerified(name, swarm.chunks() / 2, absl::Seconds(30)))
      << swarm.Output(name);
  (*first)->Kill9();
  return swarm.VerifiedChunkList(name);
}

// `count` chunks spread over `listed`, avoiding the evenly spread sample
// DiskStorage re-checks on a resume that looks clean (every k-th listed
// chunk, k = listed / 8), so only the whole-file check can find them.
std::vector<uint32_t> OutsideTheSample(const std::vector<uint32_t>& listed, uint32_t count) {
  const size_t every = std::max<size_t>(1, listed.size() / 8);
  std::vector<uint32_t> out;
  for (size_t i = 1; i < listed.size() && out.size() < count; i += listed.size() / count) {
    if (i % every != 0) out.push_back(listed[i]);
  }
  return out;
}

TEST(FaultDiskTest, FlippedBytesInVerifiedChunksAfterACrashAreRepaired) {
  FaultSwarm swarm("flipped_after_crash", {.chunks = 128, .seed = 6});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto seeder = swarm.StartSeeder("seeder", {"--fault-throttle-kib-s", "2048"});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  const std::vector<uint32_t> listed = CrashHalfWay(swarm, "leecher");
  ASSERT_GE(listed.size(), swarm.chunks() / 2);
  ASSERT_LT(listed.size(), swarm.chunks()) << "finished before the kill";
  const std::vector<uint32_t> damaged = OutsideTheSample(listed, kFlipped);
  ASSERT_EQ(damaged.size(), kFlipped);
  FlipBytes(swarm.PartialPath("leecher"), damaged, swarm.chunk_bytes());

  auto second = swarm.StartLeecher("leecher");
  ASSERT_TRUE(second.ok()) << second.status();
  DownloadReport report = swarm.AwaitReport(**second, absl::Seconds(60));
  ASSERT_EQ(report.state, "COMPLETED") << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  // Found when resuming (the partial file changed after the last save):
  // only they are fetched again, nothing verified is dropped.
  EXPECT_EQ(report.chunks_repaired, kFlipped);
  EXPECT_GE(report.chunks_resumed, listed.size() - kFlipped);
  EXPECT_EQ(report.chunks_resumed + report.chunks_fetched, swarm.chunks());
  ASSERT_EQ((*seeder)->Stop(), 0);
  const uint64_t served = swarm.ChunksServed("seeder");
  EXPECT_GE(served, swarm.chunks() + kFlipped);
  EXPECT_LE(served, swarm.chunks() + kFlipped + kFewChunks);
  ::testing::Test::RecordProperty("chunks", static_cast<int>(swarm.chunks()));
  ::testing::Test::RecordProperty("chunks_resumed", static_cast<int>(report.chunks_resumed));
  ::testing::Test::RecordProperty("chunks_repaired", static_cast<int>(report.chunks_repaired));
  ::testing::Test::RecordProperty("chunks_served_twice", static_cast<int>(served - swarm.chunks()));
}

TEST(FaultDiskTest, SilentDamageBehindACleanStopIsRepairedAtTheWholeFileCheck) {
  FaultSwarm swarm("silent_damage", {.chunks = 128, .seed = 7});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto seeder = swarm.StartSeeder("seeder", {"--fault-throttle-kib-s", "2048"});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  auto first = swarm.StartLeecher("leecher");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() / 2, absl::Seconds(30)));
  EXPECT_EQ((*first)->Stop(), 1);  // interrupted: state saved after the data
  const std::vector<uint32_t> listed = swarm.VerifiedChunkList("leecher");
  ASSERT_LT(listed.size(), swarm.chunks()) << "finished before the stop";
  // Damage that leaves no trace in the file's time: the resume looks clean.
  struct stat before {};
  ASSERT_EQ(::stat(swarm.PartialPath("leecher").c_str(), &before), 0);
  const std::vector<uint32_t> damaged = OutsideTheSample(listed, kFlipped);
  ASSERT_EQ(damaged.size(), kFlipped);
  FlipBytes(swarm.PartialPath("leecher"), damaged, swarm.chunk_bytes());
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, swarm.PartialPath("leecher").c_str(), times, 0), 0);

  auto second = swarm.StartLeecher("leecher");
  ASSERT_TRUE(second.ok()) << second.status();
  DownloadReport report = swarm.AwaitReport(**second, absl::Seconds(60));
  ASSERT_EQ(report.state, "COMPLETED") << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  EXPECT_EQ(report.chunks_repaired, kFlipped);
  EXPECT_EQ(report.chunks_resumed, listed.size());  // trusted, then repaired
  ASSERT_EQ((*seeder)->Stop(), 0);
  const uint64_t served = swarm.ChunksServed("seeder");
  EXPECT_GE(served, swarm.chunks() + kFlipped);
  EXPECT_LE(served, swarm.chunks() + kFlipped + kFewChunks);
  ::testing::Test::RecordProperty("chunks", static_cast<int>(swarm.chunks()));
  ::testing::Test::RecordProperty("chunks_resumed", static_cast<int>(report.chunks_resumed));
  ::testing::Test::RecordProperty("chunks_repaired", static_cast<int>(report.chunks_repaired));
  ::testing::Test::RecordProperty("chunks_served_twice", static_cast<int>(served - swarm.chunks()));
}

class DamagedResumeStateTest : public ::testing::TestWithParam<const char*> {};

TEST_P(DamagedResumeStateTest, DamagedResumeStateIsIgnoredAndTheDataOnDiskKept) {
  const std::string damage = GetParam();
  FaultSwarm swarm(absl::StrCat("resume_", damage), {.chunks = 128, .seed = 8});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto seeder = swarm.StartSeeder("seeder", {"--fault-throttle-kib-s", "2048"});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  const std::vector<uint32_t> listed = CrashHalfWay(swarm, "leecher");
  ASSERT_LT(listed.size(), swarm.chunks()) << "finished before the kill";
  const std::string resume = swarm.ResumePath("leecher");
  const uint64_t size = std::filesystem::file_size(resume);
  if (damage == std::string("truncated")) {
    std::filesystem::resize_file(resume, size / 2);
  } else {
    std::ofstream out(resume, std::ios::binary | std::ios::trunc);
    for (uint64_t i = 0; i < size; ++i) out.put(static_cast<char>(i * 37 + 11));
  }
  ASSERT_TRUE(swarm.VerifiedChunkList("leecher").empty()) << "the damage went unnoticed";

  auto second = swarm.StartLeecher("leecher");
  ASSERT_TRUE(second.ok()) << second.status();
  DownloadReport report = swarm.AwaitReport(**second, absl::Seconds(60));
  ASSERT_EQ(report.state, "COMPLETED") << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  // Every chunk on disk was hashed again: what was verified is kept.
  EXPECT_GE(report.chunks_resumed, listed.size());
  EXPECT_EQ(report.chunks_resumed + report.chunks_fetched, swarm.chunks());
  ASSERT_EQ((*seeder)->Stop(), 0);
  EXPECT_LE(swarm.ChunksServed("seeder"), swarm.chunks() + kFewChunks);
}

INSTANTIATE_TEST_SUITE_P(Damage, DamagedResumeStateTest, ::testing::Values("truncated", "garbled"),
                         [](const auto& info) { return std::string(info.param); });

// ---------------------------------------------------------------- full disk

// `cli --json downloads` against `home`'s node, parsed.
v1::ListDownloadsResponse CliDownloads(const std::string& home) {
  v1::ListDownloadsResponse response;
  const std::string command = absl::StrCat("admin/cli --home '", home, "' --json downloads");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return response;
  std::string out;
  char buffer[4096];
  while (size_t n = ::fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  ::pclose(pipe);
  (void)google::protobuf::util::JsonStringToMessage(out, &response);
  return response;
}

std::vector<v1::DownloadProgress> FailedDownloads(const std::string& home) {
  std::vector<v1::DownloadProgress> failed;
  const v1::ListDownloadsResponse all = CliDownloads(home);
  for (const auto& d : all.downloads()) {
    if (d.state() == v1::DOWNLOAD_STATE_FAILED) failed.push_back(d);
  }
  return failed;
}

// Sets the soft RLIMIT_FSIZE of `pid` (RLIM_INFINITY: no limit).
bool SetFileSizeLimit(pid_t pid, rlim_t bytes) {
  struct rlimit limit {};
  if (::prlimit(pid, RLIMIT_FSIZE, nullptr, &limit) != 0) return false;
  limit.rlim_cur = bytes;
  return ::prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0;
}

// The completion line of logs/download.log, key -> value ("" if none yet).
std::map<std::string, std::string> CompletionLine(const std::string& home) {
  std::map<std::string, std::string> fields;
  for (absl::string_view word : absl::StrSplit(ReadFile(home + "/logs/download.log"), ' ')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(word, absl::MaxSplits('=', 1));
    if (!kv.second.empty()) fields[kv.first] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  return fields;
}

// Lifts `leecher`'s limit once it has failed for space twice (the node
// tried again by itself), then waits for the completion. Returns the
// completion line.
std::map<std::string, std::string> SpaceBackAndComplete(FaultSwarm& swarm, PeerProcess& leecher,
                                                        const std::string& error) {
  const std::string home = leecher.home();
  EXPECT_TRUE(PollUntil([&] { return FailedDownloads(home).size() >= 2; }, absl::Seconds(30)))
      << "no retry after failing for space";
  for (const v1::DownloadProgress& d : FailedDownloads(home)) {
    // The reason is visible, and no stale rate or ETA.
    EXPECT_NE(d.error().find(error), std::string::npos) << d.ShortDebugString();
    EXPECT_EQ(d.rate_bytes_per_s(), 0u) << d.ShortDebugString();
    EXPECT_EQ(d.eta_seconds(), 0u) << d.ShortDebugString();
  }
  EXPECT_TRUE(SetFileSizeLimit(leecher.pid(), RLIM_INFINITY));
  EXPECT_TRUE(PollUntil([&] { return !CompletionLine(home)["sha256"].empty(); }, absl::Seconds(60)))
      << swarm.Output("leecher");
  EXPECT_TRUE(swarm.IsIntact("leecher"));
  EXPECT_EQ(leecher.Stop(), 1);  // the --download it was started with failed
  return CompletionLine(home);
}

uint64_t U64(const std::string& text) {
  uint64_t value = 0;
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

TEST(FaultDiskTest, DiskFullMidDownloadFailsClearlyAndResumesByItselfWhenSpaceIsBack) {
  FaultSwarm swarm("disk_full_mid", {.chunks = 128, .seed = 9});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto seeder = swarm.StartSeeder("seeder", {"--fault-throttle-kib-s", "2048"});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  auto leecher = swarm.StartLeecher("leecher", {"--keep-running"});
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  ASSERT_TRUE(swarm.AwaitVerified("leecher", swarm.chunks() / 4, absl::Seconds(30)));
  // The file is preallocated: from now on writes in its second half fail.
  ASSERT_TRUE(SetFileSizeLimit((*leecher)->pid(), swarm.size_bytes() / 2));
  DownloadReport report = swarm.AwaitReport(**leecher, absl::Seconds(30));
  ASSERT_EQ(report.state, "FAILED") << swarm.Output("leecher");
  EXPECT_EQ(report.error, "file size limit reached writing a chunk");
  const uint32_t kept = swarm.Verified("leecher");
  EXPECT_GE(kept, swarm.chunks() / 4) << "verified chunks were dropped";

  std::map<std::string, std::string> done =
      SpaceBackAndComplete(swarm, **leecher, "file size limit reached writing a chunk");
  EXPECT_GE(U64(done["chunks_resumed"]), kept);
  EXPECT_EQ(U64(done["chunks_resumed"]) + U64(done["chunks_fetched"]), swarm.chunks());
  ASSERT_EQ((*seeder)->Stop(), 0);
  // Every failure costs at most the chunks in flight.
  const uint64_t failures = FailedDownloads((*leecher)->home()).size();
  const uint64_t served = swarm.ChunksServed("seeder");
  EXPECT_LE(served, swarm.chunks() + kFewChunks * std::max<uint64_t>(failures, 2));
  ::testing::Test::RecordProperty("chunks_served_twice", static_cast<int>(served - swarm.chunks()));
}

TEST(FaultDiskTest, NoSpaceUpFrontFailsClearlyAndStartsByItselfWhenSpaceIsBack) {
  FaultSwarm swarm("disk_full_up_front", {.chunks = 64, .seed = 10});
  ASSERT_TRUE(swarm.StartTracker().ok());
  auto seeder = swarm.StartSeeder("seeder");
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  auto leecher = swarm.StartLeecher("leecher", {"--keep-running"},
                                    /*file_size_limit_bytes=*/swarm.size_bytes() / 4);
  ASSERT_TRUE(leecher.ok()) << leecher.status();
  DownloadReport report = swarm.AwaitReport(**leecher, absl::Seconds(30));
  ASSERT_EQ(report.state, "FAILED") << swarm.Output("leecher");
  EXPECT_NE(report.error.find("File too large"), std::string::npos) << report.error;
  EXPECT_FALSE(std::filesystem::exists(swarm.PartialPath("leecher"))) << "a sparse file was left";

  std::map<std::string, std::string> done =
      SpaceBackAndComplete(swarm, **leecher, "File too large");
  EXPECT_EQ(U64(done["chunks_fetched"]), swarm.chunks());
  ASSERT_EQ((*seeder)->Stop(), 0);
  EXPECT_LE(swarm.ChunksServed("seeder"), swarm.chunks() + kFewChunks);
}

}  // namespace
}  // namespace pytorrent::testing
