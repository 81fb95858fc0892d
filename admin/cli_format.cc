#include "admin/cli_format.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "peer/peer_control.h"

namespace pytorrent::admin {
namespace {

std::string Sanitized(const std::string& s) { return SanitizeForTerminal(s); }

std::string PeerIdHex(uint64_t id) { return absl::StrFormat("%016x", id); }

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return absl::StrCat(n, " ",
                      n == 1 ? absl::string_view(one.data(), one.size())
                             : absl::string_view(many.data(), many.size()));
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1000) return absl::StrCat(bytes, " B");
  const double b = static_cast<double>(bytes);
  if (bytes < 1000ULL * 1000) return absl::StrFormat("%.1f kB", b / 1e3);
  if (bytes < 1000ULL * 1000 * 1000) return absl::StrFormat("%.1f MB", b / 1e6);
  if (bytes < 1000ULL * 1000 * 1000 * 1000) return absl::StrFormat("%.2f GB", b / 1e9);
  return absl::StrFormat("%.2f TB", b / 1e12);
}

std::string FormatRate(uint64_t bytes_per_s) {
  if (bytes_per_s >= 1000ULL * 1000 * 1000) {
    return absl::StrFormat("%.2f GB/s", static_cast<double>(bytes_per_s) / 1e9);
  }
  if (bytes_per_s >= 1000ULL * 1000) {
    return absl::StrFormat("%.2f MB/s", static_cast<double>(bytes_per_s) / 1e6);
  }
  return FormatBytes(bytes_per_s) + "/s";
}

std::string FormatEta(uint64_t seconds) {
  if (seconds == 0) return "--:--";
  const uint64_t h = seconds / 3600, m = (seconds / 60) % 60, s = seconds % 60;
  if (h > 99) return ">99h";
  if (h > 0) return absl::StrFormat("%d:%02d:%02d", h, m, s);
  return absl::StrFormat("%d:%02d", m, s);
}

std::string FormatElapsed(absl::Duration elapsed) {
  const int64_t ms = std::max<int64_t>(absl::ToInt64Milliseconds(elapsed), 0);
  if (ms < 60'000) return absl::StrFormat("%d.%ds", ms / 1000, (ms % 1000) / 100);
  const int64_t total_s = ms / 1000;
  const int64_t h = total_s / 3600, m = (total_s / 60) % 60, sec = total_s % 60;
  if (h > 0) return absl::StrFormat("%d:%02d:%02d", h, m, sec);
  return absl::StrFormat("%d:%02d", m, sec);
}

std::string FormatPercent(uint64_t done, uint64_t total) {
  if (total == 0 || done >= total) return "100.0%";
  // Floor to one decimal so 99.96% never shows as 100.0% before the end.
  const uint64_t permille = static_cast<uint64_t>(static_cast<unsigned __int128>(done) * 1000 /
                                                  static_cast<unsigned __int128>(total));
  return absl::StrFormat("%d.%d%%", permille / 10, permille % 10);
}

std::string ShortHex(std::string_view bytes, size_t hex_chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (out.size() >= hex_chars) break;
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  out.resize(std::min(out.size(), hex_chars));
  return out;
}

std::string SanitizeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string StateName(v1::DownloadState state) {
  switch (state) {
    case v1::DOWNLOAD_STATE_STARTING:
      return "starting";
    case v1::DOWNLOAD_STATE_DOWNLOADING:
      return "downloading";
    case v1::DOWNLOAD_STATE_VERIFYING:
      return "verifying";
    case v1::DOWNLOAD_STATE_COMPLETED:
      return "completed";
    case v1::DOWNLOAD_STATE_FAILED:
      return "failed";
    case v1::DOWNLOAD_STATE_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

ProgressView ViewOf(const v1::DownloadProgress& p) {
  return {.bytes_done = p.bytes_done(),
          .size_bytes = p.size_bytes(),
          .rate_bytes_per_s = p.rate_bytes_per_s(),
          .eta_seconds = p.eta_seconds(),
          .seeders = p.seeders()};
}

std::string RenderProgressBar(const ProgressView& view, int bar_width) {
  bar_width = std::max(bar_width, 1);
  const uint64_t done = std::min(view.bytes_done, view.size_bytes);
  const int filled =
      view.size_bytes == 0
          ? bar_width
          : static_cast<int>(static_cast<unsigned __int128>(done) * bar_width / view.size_bytes);
  std::string bar = "[";
  bar.append(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(bar_width - filled), '-');
  bar += "]";
  return absl::StrCat(bar, "  ", absl::StrFormat("%6s", FormatPercent(done, view.size_bytes)), "  ",
                      FormatRate(view.rate_bytes_per_s), "  ETA ", FormatEta(view.eta_seconds),
                      "  seeders ", view.seeders);
}

uint64_t AverageRate(const DownloadSummary& summary) {
  const int64_t us = absl::ToInt64Microseconds(summary.elapsed);
  if (us <= 0) return 0;
  const unsigned __int128 rate =
      static_cast<unsigned __int128>(summary.bytes) * 1'000'000 / static_cast<uint64_t>(us);
  return rate > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(rate);
}

std::string RenderFinishedBar(const ProgressView& view, const DownloadSummary& summary,
                              int bar_width) {
  ProgressView done = view;
  done.bytes_done = std::max(view.bytes_done, view.size_bytes);
  // Reuse the bar and percent of RenderProgressBar, then the summary.
  std::string line = RenderProgressBar(done, bar_width);
  line.resize(line.find('%') + 1);
  const std::string rate =
      summary.elapsed > absl::ZeroDuration() ? FormatRate(AverageRate(summary)) : std::string("--");
  return absl::StrCat(line, "  avg ", rate, "  took ", FormatElapsed(summary.elapsed));
}

int ProgressBarWidth(int terminal_columns, int prefix_columns) {
  // "[...]" + "  100.0%  9999.99 MB/s  ETA 99:59:59  seeders 9999" is at most 53.
  constexpr int kTextAfterBar = 53;
  return std::clamp(terminal_columns - prefix_columns - kTextAfterBar - 1, 10, 40);
}

std::string RenderTable(const std::vector<std::vector<std::string>>& rows,
                        const std::vector<Align>& align) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (row.size() > widths.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const size_t pad = widths[i] - DisplayWidth(row[i]);
      const bool right = i < align.size() && align[i] == Align::kRight;
      if (right) line.append(pad, ' ');
      line += row[i];
      if (!right) line.append(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

std::string FormatStatus(const v1::PeerStatus& s) {
  const std::string tracker =
      s.tracker_address().empty()
          ? "(not set)"
          : absl::StrCat(Sanitized(s.tracker_address()),
                         s.tracker_reachable() ? " (reachable)" : " (not reachable)");
  return RenderTable(
      {
          {"username", s.username().empty() ? "(not set)" : Sanitized(s.username())},
          {"peer id", PeerIdHex(s.peer_id())},
          {"tracker", tracker},
          {"chunk endpoint", Sanitized(s.chunk_endpoint())},
          {"shared files", absl::StrCat(s.shared_files())},
          {"active downloads", absl::StrCat(s.active_downloads())},
          {"download rate", FormatRate(s.download_rate_bytes_per_s())},
          {"upload rate", FormatRate(s.upload_rate_bytes_per_s())},
          {"downloaded", FormatBytes(s.downloaded_bytes())},
          {"uploaded", FormatBytes(s.uploaded_bytes())},
          {"served", absl::StrCat(Plural(s.chunks_served(), "chunk", "chunks"), ", ",
                                  Plural(s.manifests_served(), "manifest", "manifests"))},
          {"rejected", absl::StrCat(Plural(s.rejects_sent(), "request", "requests"), " (",
                                    s.malformed_frames(), " malformed)")},
          {"home", Sanitized(s.home_dir())},
      },
      {});
}

std::string FormatPeers(const v1::ListPeersResponse& peers) {
  if (peers.peers().empty()) return "no peers are connected to the tracker\n";
  std::vector<std::vector<std::string>> rows = {{"USERNAME", "PEER ID", "FILES", "ENDPOINT"}};
  for (const v1::PeerInfo& p : peers.peers()) {
    rows.push_back({Sanitized(p.username()), PeerIdHex(p.peer_id()), absl::StrCat(p.file_count()),
                    Sanitized(p.chunk_endpoint())});
  }
  const uint64_t total = std::max<uint64_t>(peers.total_peers(), peers.peers_size());
  return RenderTable(rows, {Align::kLeft, Align::kLeft, Align::kRight}) +
         Plural(total, "peer", "peers") + " on the tracker\n";
}

std::string FormatSharedFiles(const v1::ListSharedFilesResponse& files) {
  if (files.files().empty()) {
    return "no shared files (put files in HOME/user/shared_files or run `cli share PATH`)\n";
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "SIZE", "SEEDING", "ROOT"}};
  for (const v1::SharedFile& f : files.files()) {
    rows.push_back({Sanitized(f.name()), FormatBytes(f.size_bytes()), f.seeding() ? "yes" : "no",
                    ShortHex(f.root_hash())});
  }
  return RenderTable(rows, {Align::kLeft, Align::kRight}) +
         Plural(files.files_size(), "file", "files") + " shared\n";
}

std::string FormatSearchResults(const v1::SearchFilesResponse& files, bool numbered) {
  if (files.files().empty()) return "no files on the network match\n";
  std::vector<std::vector<std::string>> rows;
  int n = 0;
  for (const v1::FileSummary& f : files.files()) {
    std::vector<std::string> row;
    if (numbered) row.push_back(absl::StrCat(++n, ")"));
    row.insert(
        row.end(),
        {Sanitized(f.name()), FormatBytes(f.size_bytes()), absl::StrCat("seeders ", f.seeders()),
         absl::StrCat("leechers ", f.leechers()), absl::StrCat("root ", ShortHex(f.root_hash()))});
    rows.push_back(std::move(row));
  }
  std::vector<Align> align;
  if (numbered) align.push_back(Align::kRight);
  align.insert(align.end(), {Align::kLeft, Align::kRight});
  return RenderTable(rows, align);
}

std::string FormatDownloads(const v1::ListDownloadsResponse& downloads) {
  if (downloads.downloads().empty()) return "no downloads\n";
  // A REASON column appears when a download failed: the table alone says why.
  bool any_failed = false;
  for (const v1::DownloadProgress& d : downloads.downloads()) {
    any_failed = any_failed || d.state() == v1::DOWNLOAD_STATE_FAILED;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "STATE", "DONE", "SIZE", "RATE", "ETA", "SEEDERS"}};
  if (any_failed) rows[0].push_back("REASON");
  for (const v1::DownloadProgress& d : downloads.downloads()) {
    const bool failed = d.state() == v1::DOWNLOAD_STATE_FAILED;
    // A completed or cancelled download shows its average rate (it has no
    // current one); a failed one shows none (a rate would read as progress).
    const bool finished = peer::IsTerminalDownloadState(d.state()) && !failed;
    const uint64_t rate = finished && d.elapsed_ms() > 0
                              ? d.bytes_received() * 1000 / d.elapsed_ms()
                              : d.rate_bytes_per_s();
    rows.push_back({absl::StrCat(d.download_id()), Sanitized(d.name()), StateName(d.state()),
                    // Size unknown until the manifest arrives.
                    d.size_bytes() == 0 && d.state() != v1::DOWNLOAD_STATE_COMPLETED
                        ? std::string("--")
                        : FormatPercent(d.bytes_done(), d.size_bytes()),
                    FormatBytes(d.size_bytes()), failed ? "-" : FormatRate(rate),
                    failed ? "-" : FormatEta(d.eta_seconds()), absl::StrCat(d.seeders())});
    if (any_failed) {
      rows.back().push_back(failed ? (d.error().empty() ? "no reason given" : Sanitized(d.error()))
                                   : "");
    }
  }
  std::vector<Align> align = {Align::kRight, Align::kLeft,  Align::kLeft,  Align::kRight,
                              Align::kRight, Align::kRight, Align::kRight, Align::kRight};
  if (any_failed) align.push_back(Align::kLeft);
  std::string out = RenderTable(rows, align);
  for (const v1::DownloadProgress& d : downloads.downloads()) {
    if (d.waiting_reason().empty()) continue;
    absl::StrAppend(&out, "\n", d.download_id(), " ", Sanitized(d.name()),
                    " waiting: ", Sanitized(d.waiting_reason()), "\n");
    std::vector<std::vector<std::string>> peers;
    for (const v1::PeerContribution& c : d.peers()) {
      if (c.state() == v1::PEER_LINK_STATE_UNSPECIFIED) continue;
      peers.push_back({"  " + Sanitized(c.username()), Sanitized(c.chunk_endpoint()),
                       PeerStateName(c.state()), FormatEta(c.state_ms() / 1000),
                       Sanitized(c.detail())});
    }
    if (!peers.empty()) {
      out += RenderTable(peers,
                         {Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight, Align::kLeft});
    }
  }
  return out;
}

std::string WaitingLine(const v1::DownloadProgress& progress) {
  if (progress.waiting_reason().empty()) return "";
  return "\n  waiting: " + Sanitized(progress.waiting_reason());
}

std::string PeerStateName(v1::PeerLinkState state) {
  switch (state) {
    case v1::PEER_LINK_STATE_CONNECTING:
      return "connecting";
    case v1::PEER_LINK_STATE_CONNECTED:
      return "connected";
    case v1::PEER_LINK_STATE_NOTHING_NEEDED:
      return "nothing needed";
    case v1::PEER_LINK_STATE_OUT_OF_CREDIT:
      return "out of credit";
    case v1::PEER_LINK_STATE_UNREACHABLE:
      return "unreachable";
    case v1::PEER_LINK_STATE_BANNED:
      return "banned";
    default:
      return "-";
  }
}

std::string FormatDownloadResult(const v1::DownloadProgress& p) {
  const std::string name = Sanitized(p.name());
  switch (p.state()) {
    case v1::DOWNLOAD_STATE_COMPLETED:
      return absl::StrCat(
          "completed ", name, " (", FormatBytes(p.size_bytes()), ")",
          p.elapsed_ms() > 0
              ? absl::StrCat(" in ", absl::StrFormat("%.1f", p.elapsed_ms() / 1e3), " s at ",
                             FormatRate(p.bytes_received() * 1000 / p.elapsed_ms()))
              : std::string(),
          "\n", "sha256 ", ShortHex(p.file_sha256(), 64), " (verified)\n", "saved to ",
          Sanitized(p.path()), "\n");
    case v1::DOWNLOAD_STATE_FAILED:
      return absl::StrCat("failed ", name, ": ",
                          p.error().empty() ? "no reason given" : Sanitized(p.error()), "\n");
    case v1::DOWNLOAD_STATE_CANCELLED:
      return absl::StrCat("cancelled ", name, "\n");
    default:
      return absl::StrCat(StateName(p.state()), " ", name, " ",
                          FormatPercent(p.bytes_done(), p.size_bytes()), "\n");
  }
}

std::string FormatContributions(const v1::DownloadProgress& progress) {
  std::string out;
  for (const v1::PeerContribution& c : progress.peers()) {
    out += out.empty() ? "from " : ", ";
    out += absl::StrCat(c.username().empty() ? PeerIdHex(c.peer_id()) : Sanitized(c.username()),
                        " ", FormatBytes(c.bytes_received()));
    if (c.strikes() > 0 || c.banned()) {
      out += absl::StrCat(" (", Plural(c.strikes(), "strike", "strikes"),
                          c.banned() ? ", banned)" : ")");
    }
  }
  return out;
}

std::string FormatTrackerStats(const v1::TrackerStats& s) {
  std::vector<std::vector<std::string>> rows = {
      {"peers", absl::StrCat(s.peers())},
      {"files", absl::StrCat(s.files())},
      {"requests", absl::StrCat(s.requests())},
      {"announces", absl::StrCat(s.announces())},
      {"announces/s", absl::StrFormat("%.1f", s.announces_per_s())},
      {"uptime", FormatEta(s.uptime_seconds())},
  };
  // Sorted, so the output is stable.
  std::map<std::string, uint64_t> errors(s.errors_by_kind().begin(), s.errors_by_kind().end());
  for (const auto& [kind, count] : errors) {
    rows.push_back({"errors: " + Sanitized(kind), absl::StrCat(count)});
  }
  return RenderTable(rows, {});
}

std::string FormatSwarms(const v1::ListSwarmsResponse& swarms) {
  if (swarms.swarms().empty()) return "no files are registered on the tracker\n";
  std::vector<std::vector<std::string>> rows = {{"NAME", "SIZE", "SEEDERS", "LEECHERS", "ROOT"}};
  for (const v1::FileSummary& f : swarms.swarms()) {
    rows.push_back({Sanitized(f.name()), FormatBytes(f.size_bytes()), absl::StrCat(f.seeders()),
                    absl::StrCat(f.leechers()), ShortHex(f.root_hash())});
  }
  return RenderTable(rows, {Align::kLeft, Align::kRight, Align::kRight, Align::kRight}) +
         Plural(swarms.swarms_size(), "swarm", "swarms") + "\n";
}

std::string FormatTrackerPeers(const v1::ListTrackerPeersResponse& peers) {
  if (peers.peers().empty()) return "no peers are registered on the tracker\n";
  std::vector<std::vector<std::string>> rows = {{"USERNAME", "PEER ID", "FILES", "ENDPOINT"}};
  for (const v1::PeerInfo& p : peers.peers()) {
    rows.push_back({Sanitized(p.username()), PeerIdHex(p.peer_id()), absl::StrCat(p.file_count()),
                    Sanitized(p.chunk_endpoint())});
  }
  return RenderTable(rows, {Align::kLeft, Align::kLeft, Align::kRight}) +
         Plural(peers.peers_size(), "peer", "peers") + "\n";
}

}  // namespace pytorrent::admin
