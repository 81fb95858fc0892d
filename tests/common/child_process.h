#ifndef PYTORRENT_TESTS_COMMON_CHILD_PROCESS_H_
#define PYTORRENT_TESTS_COMMON_CHILD_PROCESS_H_

// Starts a program for a test: fork + execv, the child killed with SIGKILL
// when the test process dies (PR_SET_PDEATHSIG, so no test leaves processes
// behind), its output appended to files when asked.
//
// Example:
//   absl::StatusOr<pid_t> pid = SpawnChild({"tracker/tracker", "--port", "0"},
//                                          {.stdout_path = dir + "/out.txt"});

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pytorrent::testing {

struct ChildOptions {
  // Empty: inherited. The same path for both sends both there.
  std::string stdout_path;
  std::string stderr_path;
  // > 0: RLIMIT_FSIZE of the child (a full disk without a full disk).
  uint64_t file_size_limit_bytes = 0;
};

// `args[0]` is the program (runfiles-relative or absolute). INTERNAL when
// fork fails; an exec failure shows as the child's exit status 127.
absl::StatusOr<pid_t> SpawnChild(std::vector<std::string> args, const ChildOptions& options = {});

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_COMMON_CHILD_PROCESS_H_
