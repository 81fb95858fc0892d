#include "tests/integration/fault_swarm.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "peer/storage/resume_state.h"

namespace pytorrent::testing {
namespace {

uint64_t ToU64(const std::string& text) {
  uint64_t value = 0;
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

}  // namespace

bool PollUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));  // polling interval of the deadline wait
  }
  return true;
}

FaultSwarm::FaultSwarm(const std::string& name, FaultSwarmOptions options)
    : options_(std::move(options)), dir_(TestDir(name)) {
  source_ = dir_ + "/source/" + options_.file_name;
  WriteRandomFile(source_, size_bytes(), options_.seed);
  root_ = RootHexOf(source_, options_.chunk_kib);
  sha256_ = FileSha256Hex(source_);
}

absl::Status FaultSwarm::StartTracker(std::vector<std::string> args) {
  auto tracker =
      TrackerProcess::Start({.dir = dir_ + "/tracker", .port = tracker_port_, .args = args});
  if (!tracker.ok()) return tracker.status();
  tracker_ = *std::move(tracker);
  tracker_port_ = tracker_->port();
  return absl::OkStatus();
}

void FaultSwarm::KillTracker() {
  if (tracker_ == nullptr) return;
  ::kill(tracker_->pid(), SIGKILL);
  tracker_->Stop();  // reaps it
  tracker_.reset();
}

std::string FaultSwarm::tracker_address() const {
  return absl::StrCat("127.0.0.1:", tracker_port_);
}

absl::StatusOr<std::unique_ptr<PeerProcess>> FaultSwarm::StartSeeder(
    const std::string& name, std::vector<std::string> args) {
  const std::string file = Home(name) + "/user/shared_files/" + options_.file_name;
  if (!std::filesystem::exists(file)) WriteRandomFile(file, size_bytes(), options_.seed);
  std::vector<std::string> all = {"--tracker",
                                  tracker_address(),
                                  "--chunk-size-kib",
                                  std::to_string(options_.chunk_kib),
                                  "--username",
                                  name,
                                  "--announce-interval-s",
                                  "1"};
  all.insert(all.end(), args.begin(), args.end());
  return PeerProcess::Start({.home = Home(name), .args = all});
}

absl::StatusOr<std::unique_ptr<PeerProcess>> FaultSwarm::StartLeecher(
    const std::string& name, std::vector<std::string> args, uint64_t file_size_limit_bytes) {
  std::vector<std::string> all = {
      "--tracker", tracker_address(), "--username", name, "--announce-interval-s",
      "1",         "--download",      root_};
  all.insert(all.end(), args.begin(), args.end());
  // The report read back is this start's (stdout is appended to).
  std::error_code ec;
  std::filesystem::remove(Home(name) + "/stdout.txt", ec);
  return PeerProcess::Start({.home = Home(name),
                             .args = all,
                             .wait_ready = false,
                             .file_size_limit_bytes = file_size_limit_bytes});
}

uint32_t FaultSwarm::Verified(const std::string& name) const {
  return ResumedChunks(Home(name), root_, options_.chunks);
}

bool FaultSwarm::AwaitVerified(const std::string& name, uint32_t chunks,
                               absl::Duration timeout) const {
  return PollUntil([&] { return Verified(name) >= chunks; }, timeout);
}

std::vector<uint32_t> FaultSwarm::VerifiedChunkList(const std::string& name) const {
  std::vector<uint32_t> out;
  Sha256Digest root{};
  if (!DigestFromHex(root_, root)) return out;
  absl::StatusOr<peer::ResumeState> state =
      peer::ResumeState::Load(ResumePath(name), root, options_.chunks);
  if (!state.ok()) return out;
  for (uint32_t c = 0; c < options_.chunks; ++c) {
    if (state->Test(c)) out.push_back(c);
  }
  return out;
}

DownloadReport FaultSwarm::AwaitReport(PeerProcess& leecher, absl::Duration timeout) const {
  PollUntil(
      [&] { return !LastJsonLineWith(leecher.Stdout(), "state").empty() || !leecher.running(); },
      timeout);
  std::map<std::string, std::string> line = LastJsonLineWith(leecher.Stdout(), "state");
  DownloadReport report;
  report.printed = !line.empty();
  report.state = line["state"];
  report.error = line["error"];
  report.chunks_fetched = ToU64(line["chunks_fetched"]);
  report.chunks_resumed = ToU64(line["chunks_resumed"]);
  report.chunks_repaired = ToU64(line["chunks_repaired"]);
  report.chunks_corrupt = ToU64(line["chunks_corrupt"]);
  report.chunks_duplicate = ToU64(line["chunks_duplicate"]);
  report.bytes_received = ToU64(line["bytes_received"]);
  return report;
}

uint64_t FaultSwarm::ChunksServed(const std::string& name) const {
  return ToU64(LastJsonLineWith(ReadFile(Home(name) + "/state/counters.json"),
                                "chunks_served")["chunks_served"]);
}

std::string FaultSwarm::PartialPath(const std::string& name) const {
  return Home(name) + "/state/" + root_ + ".part";
}

std::string FaultSwarm::ResumePath(const std::string& name) const {
  return Home(name) + "/state/" + root_ + ".resume";
}

std::string FaultSwarm::DownloadedPath(const std::string& name) const {
  return Home(name) + "/user/downloads/" + options_.file_name;
}

bool FaultSwarm::IsIntact(const std::string& name) const {
  return std::filesystem::exists(DownloadedPath(name)) &&
         FileSha256Hex(DownloadedPath(name)) == sha256_;
}

std::string FaultSwarm::Output(const std::string& name) const {
  return absl::StrCat("stdout: ", ReadFile(Home(name) + "/stdout.txt"),
                      "\nstderr: ", ReadFile(Home(name) + "/stderr.txt"));
}

}  // namespace pytorrent::testing
