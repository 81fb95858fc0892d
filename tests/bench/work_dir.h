#ifndef PYTORRENT_TESTS_BENCH_WORK_DIR_H_
#define PYTORRENT_TESTS_BENCH_WORK_DIR_H_

// A benchmark's work folder: a fresh one under $TEST_TMPDIR (or /tmp) named
// after the benchmark, or the one the user named (emptied first); removed
// when the object goes unless `keep`.
//
// Example:
//   absl::StatusOr<std::unique_ptr<WorkDir>> work = WorkDir::Make(dir_flag, "soak_bench", keep);
//   if (!work.ok()) return Fail(work.status().ToString());
//   const std::string& dir = (*work)->path();

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pytorrent::testing {

class WorkDir {
 public:
  static absl::StatusOr<std::unique_ptr<WorkDir>> Make(const std::string& named,
                                                       std::string_view bench_name, bool keep);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  WorkDir(std::string path, bool keep) : path_(std::move(path)), keep_(keep) {}
  std::string path_;
  bool keep_;
};

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_BENCH_WORK_DIR_H_
