#ifndef PYTORRENT_COMMON_LOG_H_
#define PYTORRENT_COMMON_LOG_H_

// The one logging front end. The backend (spdlog) is chosen here alone.
//
// Log once per start, stop and burst of bad input; never per request, never
// tokens or payloads.
//
// Example:
//   pytorrent::InitLogging({.file_path = home + "/logs/peer.log"});
//   PT_LOG_INFO("tracker listening on {}:{}", host, port);

#include <string>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace pytorrent {

struct LogOptions {
  // Append log lines here; empty logs to stderr only.
  std::string file_path;
  // One of trace, debug, info, warn, error, critical, off.
  std::string level = "info";
  // Also write to stderr (warnings and above always go there).
  bool also_stderr = false;
};

// Sets up the process-wide logger. Call once from main(); safe to skip (then
// logs go to stderr at info level).
absl::Status InitLogging(const LogOptions& options);

}  // namespace pytorrent

#define PT_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define PT_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define PT_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define PT_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)

#endif  // PYTORRENT_COMMON_LOG_H_
