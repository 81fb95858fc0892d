#include "tests/tracker/tracker_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admin/unix_socket_path.h"
#include "tests/common/child_process.h"

namespace pytorrent::testing {

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  return dir.string();
}

absl::StatusOr<std::unique_ptr<TrackerProcess>> TrackerProcess::Start(
    const TrackerProcessOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  const std::string port_file = options.dir + "/port";
  std::filesystem::remove(port_file, ec);
  std::vector<std::string> args = {
      options.binary, "--home", options.dir + "/home",        "--host",
      options.host,   "--port", std::to_string(options.port), "--port-file",
      port_file};
  // The admin socket sits in the tracker's home under $TEST_TMPDIR, however
  // long that path is: clients dial it through admin_target().
  const std::string socket_dir = options.dir + "/home/state";
  std::filesystem::create_directories(socket_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", socket_dir, ": ", ec.message()));
  absl::StatusOr<admin::UnixSocketPath> socket_path =
      admin::UnixSocketPath::Open(socket_dir + "/admin.sock");
  if (!socket_path.ok()) return socket_path.status();
  const std::string admin_socket = socket_dir + "/admin.sock";
  args.push_back("--admin-socket");
  args.push_back(admin_socket);
  args.insert(args.end(), options.args.begin(), options.args.end());
  absl::StatusOr<pid_t> spawned = SpawnChild(std::move(args));
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  auto process = std::unique_ptr<TrackerProcess>(new TrackerProcess(pid, 0));
  process->admin_socket_ = admin_socket;
  process->admin_socket_path_ = std::make_unique<admin::UnixSocketPath>(*std::move(socket_path));
  // Wait for the port file (written atomically once the socket is bound),
  // or for the child to die, with a deadline.
  const absl::Time deadline = absl::Now() + options.start_timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->stopped_ = true;
      return absl::InternalError(absl::StrCat("tracker exited early with status ", status));
    }
    std::ifstream in(port_file);
    std::string text;
    uint32_t port = 0;
    if (in && std::getline(in, text) && absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port) &&
        port > 0 && port < 65536) {
      process->port_ = static_cast<uint16_t>(port);
      return process;
    }
    usleep(5'000);  // polling interval of the wait above, not a synchronisation
  }
  return absl::DeadlineExceededError("tracker did not write its port file in time");
}

int TrackerProcess::Stop(absl::Duration timeout) {
  if (stopped_) return -1;
  stopped_ = true;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (absl::Now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    usleep(5'000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  return -1;
}

TrackerProcess::~TrackerProcess() { Stop(); }

std::string TrackerProcess::admin_target() const { return admin_socket_path_->GrpcTarget(); }

}  // namespace pytorrent::testing
