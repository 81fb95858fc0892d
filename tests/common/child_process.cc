#include "tests/common/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "absl/status/status.h"

namespace pytorrent::testing {
namespace {

void AppendTo(const std::string& path, int fd) {
  if (path.empty()) return;
  const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out >= 0) ::dup2(out, fd);
}

}  // namespace

absl::StatusOr<pid_t> SpawnChild(std::vector<std::string> args, const ChildOptions& options) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);  // the parent died before prctl
    AppendTo(options.stdout_path, 1);
    if (options.stderr_path == options.stdout_path && !options.stdout_path.empty()) {
      ::dup2(1, 2);
    } else {
      AppendTo(options.stderr_path, 2);
    }
    if (options.file_size_limit_bytes > 0) {
      struct rlimit limit {};
      ::getrlimit(RLIMIT_FSIZE, &limit);
      limit.rlim_cur = options.file_size_limit_bytes;
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace pytorrent::testing
