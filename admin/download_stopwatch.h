#ifndef PYTORRENT_ADMIN_DOWNLOAD_STOPWATCH_H_
#define PYTORRENT_ADMIN_DOWNLOAD_STOPWATCH_H_

// `DownloadStopwatch` gives the finished progress bar (RenderFinishedBar) its
// numbers. The node's own figures come first: a final snapshot that carries
// `elapsed_ms` gives bytes_received / elapsed_ms, the same average the
// downloads table shows, however few updates the CLI saw (a fast download
// may complete before the first one). Only for a node that reports no
// elapsed time does the CLI time it itself: from just before StartDownload
// to completion, counting the bytes that arrived meanwhile (bytes already on
// disk when the watch began, a resumed download, are not counted unless the
// very first snapshot is already the completed one).
//
// Example:
//   DownloadStopwatch stopwatch(clock);        // before StartDownload
//   ... WatchDownload(id, 0, [&](const auto& p) { stopwatch.Observe(p); ... });
//   RenderFinishedBar(ViewOf(last), stopwatch.Finish(last), width);
//
// Not thread-safe; pure logic over an injected clock.

#include <cstdint>
#include <optional>

#include "admin/cli_format.h"
#include "common/time_source.h"
#include "proto/admin.pb.h"

namespace pytorrent::admin {

class DownloadStopwatch {
 public:
  // Starts timing now.
  explicit DownloadStopwatch(const TimeSource& clock) : clock_(clock), start_(clock.Now()) {}

  // Every progress update, in order; the first one sets the byte baseline.
  void Observe(const v1::DownloadProgress& progress);
  // The summary at `last` (normally the COMPLETED update), timed now.
  DownloadSummary Finish(const v1::DownloadProgress& last) const;

 private:
  const TimeSource& clock_;
  const absl::Time start_;
  std::optional<uint64_t> baseline_bytes_;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_DOWNLOAD_STOPWATCH_H_
