#include "tests/integration/peer_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "admin/unix_socket_path.h"
#include "common/sha256.h"
#include "peer/content/manifest.h"
#include "peer/storage/resume_state.h"
#include "tests/common/child_process.h"

namespace pytorrent::testing {

absl::StatusOr<std::unique_ptr<PeerProcess>> PeerProcess::Start(const PeerProcessOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.home + "/state", ec);
  std::string endpoint_file = options.home + "/state/chunk_endpoint";
  std::filesystem::remove(endpoint_file, ec);
  // The admin socket is the default HOME/state/admin.sock, however long the
  // $TEST_TMPDIR path: it is dialled through its folder's fd (admin_target()).
  absl::StatusOr<admin::UnixSocketPath> socket_path =
      admin::UnixSocketPath::Open(options.home + "/state/admin.sock");
  if (!socket_path.ok()) return socket_path.status();
  std::vector<std::string> args = {options.binary, "--home", options.home};
  args.insert(args.end(), options.args.begin(), options.args.end());
  if (std::find(args.begin(), args.end(), "--chunk-listen") == args.end()) {
    // Tests listen on loopback, any port (the node's default is every
    // interface, port 6881).
    args.insert(args.end(), {"--chunk-listen", "tcp://127.0.0.1:0"});
  }
  std::string out_path = options.home + "/stdout.txt";
  std::string err_path = options.home + "/stderr.txt";
  absl::StatusOr<pid_t> spawned =
      SpawnChild(std::move(args), {.stdout_path = out_path,
                                   .stderr_path = err_path,
                                   .file_size_limit_bytes = options.file_size_limit_bytes});
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  auto process = std::unique_ptr<PeerProcess>(new PeerProcess(pid, options.home));
  process->admin_socket_path_ = std::make_unique<admin::UnixSocketPath>(*std::move(socket_path));
  if (!options.wait_ready) return process;
  const absl::Time deadline = absl::Now() + options.start_timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->reaped_ = true;
      return absl::InternalError(
          absl::StrCat("peer exited early with status ", status, ": ", ReadFile(err_path)));
    }
    if (std::filesystem::exists(endpoint_file)) return process;
    usleep(10'000);  // polling interval of the deadline wait, not a synchronisation
  }
  return absl::DeadlineExceededError("peer did not write state/chunk_endpoint in time");
}

int PeerProcess::Wait(absl::Duration timeout) {
  if (reaped_) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (absl::Now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return exit_code_;
    }
    usleep(10'000);
  }
  Kill9();
  return -1;
}

int PeerProcess::Stop(absl::Duration timeout) {
  if (reaped_) return exit_code_;
  kill(pid_, SIGTERM);
  return Wait(timeout);
}

void PeerProcess::Kill9() {
  if (reaped_) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  exit_code_ = -1;
}

PeerProcess::~PeerProcess() { Kill9(); }

std::string PeerProcess::admin_target() const { return admin_socket_path_->GrpcTarget(); }

std::string PeerProcess::Stdout() const { return ReadFile(home_ + "/stdout.txt"); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> LastJsonLineWith(const std::string& text,
                                                    const std::string& key) {
  std::map<std::string, std::string> out;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const std::string& line = *it;
    if (line.size() < 2 || line.front() != '{' ||
        line.find("\"" + key + "\"") == std::string::npos) {
      continue;
    }
    std::string body = line.substr(1, line.size() - 2);
    for (absl::string_view field : absl::StrSplit(body, ',')) {
      size_t colon = field.find(':');
      if (colon == absl::string_view::npos) continue;
      std::string k(field.substr(0, colon));
      std::string v(field.substr(colon + 1));
      auto unquote = [](std::string s) {
        if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
        return s;
      };
      out[unquote(k)] = unquote(v);
    }
    return out;
  }
  return out;
}

void WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::mt19937_64 rng(seed);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<uint64_t> block(8192);
  uint64_t left = size;
  while (left > 0) {
    for (auto& word : block) word = rng();
    uint64_t n = std::min<uint64_t>(left, block.size() * 8);
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
  out.close();
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = ::time(nullptr) - 60;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}

std::string FileSha256Hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Sha256 hasher;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  }
  return ToHex(hasher.Finish());
}

std::string RootHexOf(const std::string& path, uint32_t chunk_kib) {
  absl::StatusOr<peer::Manifest> m =
      peer::BuildManifest(path, std::filesystem::path(path).filename().string(), chunk_kib * 1024);
  return m.ok() ? ToHex(m->root) : "";
}

uint32_t ResumedChunks(const std::string& home, const std::string& root_hex, uint32_t chunk_count) {
  Sha256Digest root{};
  if (!DigestFromHex(root_hex, root)) return 0;
  absl::StatusOr<peer::ResumeState> state =
      peer::ResumeState::Load(home + "/state/" + root_hex + ".resume", root, chunk_count);
  return state.ok() ? state->CountSet() : 0;
}

}  // namespace pytorrent::testing
