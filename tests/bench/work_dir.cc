#include "tests/bench/work_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pytorrent::testing {

absl::StatusOr<std::unique_ptr<WorkDir>> WorkDir::Make(const std::string& named,
                                                       std::string_view bench_name, bool keep) {
  std::string path = named;
  if (path.empty()) {
    // mkdtemp, not the pid: sandboxed runs in parallel reuse pids.
    const char* tmp = std::getenv("TEST_TMPDIR");
    path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", std::string(bench_name), ".XXXXXX");
    if (::mkdtemp(path.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp ", path, ": ", std::strerror(errno)));
    }
  } else {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    std::filesystem::create_directories(path, ec);
    if (ec) return absl::InternalError(absl::StrCat("create ", path, ": ", ec.message()));
  }
  return std::unique_ptr<WorkDir>(new WorkDir(std::move(path), keep));
}

WorkDir::~WorkDir() {
  std::error_code ec;
  if (!keep_) std::filesystem::remove_all(path_, ec);
}

}  // namespace pytorrent::testing
