#include "common/log.h"

#include <memory>
#include <vector>

#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace pytorrent {

absl::Status InitLogging(const LogOptions& options) {
  spdlog::level::level_enum level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    return absl::InvalidArgumentError("unknown log level '" + options.level +
                                      "' (use trace, debug, info, warn, error, critical, off)");
  }
  std::vector<spdlog::sink_ptr> sinks;
  auto stderr_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  stderr_sink->set_level(options.also_stderr || options.file_path.empty() ? level
                                                                          : spdlog::level::warn);
  sinks.push_back(stderr_sink);
  if (!options.file_path.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file_path));
    } catch (const spdlog::spdlog_ex& e) {
      return absl::UnavailableError("cannot open log file " + options.file_path + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("pytorrent", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%P] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  // SPDLOG_* macros are compiled at the active level; debug needs this too.
  spdlog::set_level(level);
  return absl::OkStatus();
}

}  // namespace pytorrent
