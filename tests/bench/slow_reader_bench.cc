// The slow-reader attack on a seeder (issue 13, item 1), with real
// processes: `--attackers` raw connections each send `--requests` valid
// ChunkRequests and never read, next to a legitimate download of the same
// file. Prints one JSON line: the seeder's peak RSS against its serving
// budget + 64 MiB, and the attacked download's time against the undisturbed
// one measured in the same run.
//
//   bazel run -c opt //tests/bench:slow_reader_bench -- --attackers=64 --requests=200
#include <cstdio>
#include <filesystem>
#include <string>

#include "CLI/CLI.hpp"
#include "tests/integration/slow_reader_attack.h"

int main(int argc, char** argv) {
  int attackers = 64, requests = 200;
  uint32_t budget_mib = 128, size_mib = 64;
  std::string dir = std::filesystem::temp_directory_path() / "slow_reader_bench";
  CLI::App app{"Slow-reader attack on a seeder; prints one JSON line"};
  app.add_option("--attackers", attackers, "Connections that never read")->capture_default_str();
  app.add_option("--requests", requests, "ChunkRequests each attacker sends")
      ->capture_default_str();
  app.add_option("--budget-mib", budget_mib, "The seeder's --serve-budget-mib")
      ->capture_default_str();
  app.add_option("--size-mib", size_mib, "Size of the shared file")->capture_default_str();
  app.add_option("--dir", dir, "Working folder (emptied)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);

  auto report = pytorrent::testing::RunSlowReaderAttack({.dir = dir,
                                                         .file_bytes = uint64_t{size_mib} << 20,
                                                         .attackers = attackers,
                                                         .requests_per_attacker = requests,
                                                         .budget_mib = budget_mib});
  if (!report.ok()) {
    std::fprintf(stderr, "slow_reader_bench: %s\n", report.status().ToString().c_str());
    return 1;
  }
  const double mib = 1 << 20;
  const double limit_mib = budget_mib + 64.0;
  const double peak_mib = static_cast<double>(report->seeder_peak_rss_bytes) / mib;
  const double time_ratio =
      report->undisturbed_seconds > 0 ? report->attacked_seconds / report->undisturbed_seconds : 0;
  std::printf(
      "{\"attackers\":%d,\"requests_each\":%d,\"attackers_connected\":%d,\"file_mib\":%u,"
      "\"budget_mib\":%u,\"seeder_rss_start_mib\":%.1f,\"seeder_peak_rss_mib\":%.1f,"
      "\"seeder_rss_after_mib\":%.1f,\"rss_limit_mib\":%.1f,\"rss_vs_limit\":%.3f,"
      "\"serving_peak_mib\":%.1f,\"undisturbed_s\":%.3f,\"attacked_s\":%.3f,"
      "\"time_ratio\":%.3f,\"downloads_ok\":%s,\"requests_throttled\":%llu,"
      "\"requesters_dropped\":%llu}\n",
      attackers, requests, report->attackers_connected, size_mib, budget_mib,
      static_cast<double>(report->seeder_rss_start_bytes) / mib, peak_mib,
      static_cast<double>(report->seeder_rss_after_bytes) / mib, limit_mib, peak_mib / limit_mib,
      static_cast<double>(report->serving_peak_bytes) / mib, report->undisturbed_seconds,
      report->attacked_seconds, time_ratio,
      report->undisturbed_ok && report->attacked_ok ? "true" : "false",
      static_cast<unsigned long long>(report->requests_throttled),
      static_cast<unsigned long long>(report->requesters_dropped));
  if (!report->attacker_error.empty()) {
    std::fprintf(stderr, "slow_reader_bench: an attacker failed: %s\n",
                 report->attacker_error.c_str());
  }
  return report->undisturbed_ok && report->attacked_ok ? 0 : 1;
}
