#ifndef PYTORRENT_ADMIN_CLI_FORMAT_H_
#define PYTORRENT_ADMIN_CLI_FORMAT_H_

// Pure text formatting for the CLI: sizes, rates, ETAs, the progress bar,
// aligned tables and the plain-text rendering of every admin reply. No
// colours or cursor movement here (see terminal.h); everything is a string
// in, a string out, so it is unit-tested and used for golden output.
//
// Example:
//   RenderProgressBar({.bytes_done = 5'000'000, .size_bytes = 20'000'000,
//                      .rate_bytes_per_s = 2'500'000, .eta_seconds = 6,
//                      .seeders = 3}, /*bar_width=*/20)
//   => "[#####---------------]  25.0%  2.50 MB/s  ETA 0:06  seeders 3"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "proto/admin.pb.h"

namespace pytorrent::admin {

// SI units: "999 B", "1.5 kB", "20.0 MB", "1.07 GB".
std::string FormatBytes(uint64_t bytes);
// "2.50 MB/s", "0 B/s".
std::string FormatRate(uint64_t bytes_per_s);
// "0:06", "12:34", "1:02:03"; "--:--" when unknown (0 while not done).
std::string FormatEta(uint64_t seconds);
// How long something took: "0.4s", "12.3s" under a minute, then "1:05",
// "1:02:03"; negative counts as 0.
std::string FormatElapsed(absl::Duration elapsed);
// Percent with one decimal, "25.0%"; total 0 counts as done.
std::string FormatPercent(uint64_t done, uint64_t total);
// The first `hex_chars` of the lower-case hex of `bytes`.
std::string ShortHex(std::string_view bytes, size_t hex_chars = 12);
// Replaces control characters (ESC, CR, ...) so text from the network can
// never move the cursor or recolour the terminal.
std::string SanitizeForTerminal(std::string_view text);
// Display width in terminal columns: UTF-8 code points.
size_t DisplayWidth(std::string_view text);
// Human name of a download state: "downloading", "completed", ...
std::string StateName(v1::DownloadState state);

struct ProgressView {
  uint64_t bytes_done = 0;
  uint64_t size_bytes = 0;
  uint64_t rate_bytes_per_s = 0;
  uint64_t eta_seconds = 0;
  uint32_t seeders = 0;
};
ProgressView ViewOf(const v1::DownloadProgress& progress);
// "[#####-----]  50.0%  2.50 MB/s  ETA 0:06  seeders 3" with `bar_width`
// cells between the brackets.
std::string RenderProgressBar(const ProgressView& view, int bar_width);

// How a finished download went, for its last progress line: the bytes that
// arrived while the CLI watched it (a resumed part excluded) and the time
// from StartDownload to completion.
struct DownloadSummary {
  uint64_t bytes = 0;
  absl::Duration elapsed = absl::ZeroDuration();
};
// bytes / elapsed in bytes per second (floor); 0 when no time passed.
uint64_t AverageRate(const DownloadSummary& summary);
// The completed bar: instead of the last instant rate, the ETA and the
// seeders (all 0 by then) it shows the average rate over the whole download
// and how long it took:
// "[##########]  100.0%  avg 2.50 MB/s  took 8.2s" ("avg --" if no time passed).
std::string RenderFinishedBar(const ProgressView& view, const DownloadSummary& summary,
                              int bar_width);
// The bar width that keeps a progress line (bar plus `prefix_columns` of
// text before it) within `terminal_columns`, never wrapping: 10 to 40 cells.
int ProgressBarWidth(int terminal_columns, int prefix_columns);

enum class Align { kLeft, kRight };
// Aligns `rows` in columns separated by two spaces; trailing spaces are
// trimmed. `align` may be shorter than a row (missing columns align left).
std::string RenderTable(const std::vector<std::vector<std::string>>& rows,
                        const std::vector<Align>& align);

// Plain-text renderings of admin replies (each ends with a newline).
std::string FormatStatus(const v1::PeerStatus& status);
std::string FormatPeers(const v1::ListPeersResponse& peers);
std::string FormatSharedFiles(const v1::ListSharedFilesResponse& files);
// One line per file, numbered from 1 when `numbered`; always "seeders N".
std::string FormatSearchResults(const v1::SearchFilesResponse& files, bool numbered);
// The downloads table; under it, for each download still running, why it
// waits (if it does) and what it is doing with each peer.
std::string FormatDownloads(const v1::ListDownloadsResponse& downloads);

// "\n  waiting: <reason>" while the download waits, else "" (the line shown
// under a live progress bar).
std::string WaitingLine(const v1::DownloadProgress& progress);

// "connecting", "connected", "banned", ... for a PeerLinkState.
std::string PeerStateName(v1::PeerLinkState state);
// The final line(s) of a download: completed with its verified SHA-256 and
// path, or why it failed.
std::string FormatDownloadResult(const v1::DownloadProgress& progress);
// "from alice 10.5 MB, bob 10.5 MB (2 strikes, banned)" or "" without peers.
std::string FormatContributions(const v1::DownloadProgress& progress);
// Tracker admin replies.
std::string FormatTrackerStats(const v1::TrackerStats& stats);
std::string FormatSwarms(const v1::ListSwarmsResponse& swarms);
std::string FormatTrackerPeers(const v1::ListTrackerPeersResponse& peers);

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_CLI_FORMAT_H_
