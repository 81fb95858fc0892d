#include "admin/download_stopwatch.h"

namespace pytorrent::admin {

void DownloadStopwatch::Observe(const v1::DownloadProgress& progress) {
  if (baseline_bytes_.has_value()) return;
  // A first snapshot that is already complete says nothing about a resumed
  // part: count the whole file.
  baseline_bytes_ = progress.state() == v1::DOWNLOAD_STATE_COMPLETED ? 0 : progress.bytes_done();
}

DownloadSummary DownloadStopwatch::Finish(const v1::DownloadProgress& last) const {
  if (last.elapsed_ms() > 0) {
    return {.bytes = last.bytes_received(),
            .elapsed = absl::Milliseconds(static_cast<int64_t>(last.elapsed_ms()))};
  }
  const uint64_t baseline = baseline_bytes_.value_or(0);
  return {.bytes = last.bytes_done() > baseline ? last.bytes_done() - baseline : 0,
          .elapsed = clock_.Now() - start_};
}

}  // namespace pytorrent::admin
