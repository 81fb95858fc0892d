#include "peer/peer_config.h"

#include "INIReader.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/host_port.h"
#include "common/names.h"

namespace pytorrent::peer {
namespace {

// Reads `key` from the unnamed section or [peer]; the latter wins.
bool Lookup(const INIReader& reader, const std::string& key, std::string& out) {
  if (reader.HasValue("peer", key)) {
    out = reader.Get("peer", key, "");
    return true;
  }
  if (reader.HasValue("", key)) {
    out = reader.Get("", key, "");
    return true;
  }
  return false;
}

absl::Status ParseUnsigned(const std::string& key, const std::string& value, uint64_t min,
                           uint64_t max, uint64_t& out) {
  uint64_t parsed = 0;
  if (!absl::SimpleAtoi(absl::string_view(value.data(), value.size()), &parsed) || parsed < min ||
      parsed > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, " must be an integer from ", min, " to ", max, ", got '", value, "'"));
  }
  out = parsed;
  return absl::OkStatus();
}

// tracker_host: the first entry is a host (it takes tracker_port); each
// later one "HOST:PORT" or a host taking tracker_port, so `config`'s port
// must be set first.
absl::Status ParseTrackerHosts(const std::string& value, PeerConfig& config) {
  const std::vector<absl::string_view> entries = absl::StrSplit(value, ',');
  if (entries.size() > kMaxTrackerAddresses) {
    return absl::InvalidArgumentError(absl::StrCat("tracker_host lists ", entries.size(),
                                                   " trackers; at most ", kMaxTrackerAddresses));
  }
  std::vector<HostPort> fallbacks;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string entry(absl::StripAsciiWhitespace(entries[i]));
    absl::StatusOr<std::string> host = ParseHost(entry);
    if (i == 0) {
      if (!host.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("tracker_host: ", host.status().message()));
      }
      config.tracker_host = *std::move(host);
      continue;
    }
    if (host.ok()) {
      fallbacks.push_back({.host = *std::move(host), .port = config.tracker_port});
      continue;
    }
    absl::StatusOr<HostPort> address = ParseHostPort(entry);
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tracker_host entry ", i + 1, ": ", address.status().message()));
    }
    fallbacks.push_back(*std::move(address));
  }
  // FormatPeerConfig writes the list back with every port; it must fit one
  // line to read back the same.
  size_t line_bytes = std::string_view("tracker_host=").size() + config.tracker_host.size();
  for (const HostPort& f : fallbacks) line_bytes += 1 + FormatHostPort(f.host, f.port).size();
  if (line_bytes > kMaxConfigLineBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracker_host: the list is too long for one config line (", line_bytes,
                     " bytes with every port written; at most ", kMaxConfigLineBytes, ")"));
  }
  config.tracker_fallbacks = std::move(fallbacks);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PeerConfig> ParsePeerConfig(std::string_view text) {
  // inih reads a C string: a NUL byte would silently hide the rest of the
  // file (found by //tests/fuzz:config_file_fuzz).
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("config contains a NUL byte; it must be plain text");
  }
  {
    size_t line = 1;
    for (const absl::string_view l :
         absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
      if (l.size() > kMaxConfigLineBytes) {
        return absl::InvalidArgumentError(absl::StrCat("config line ", line, " is ", l.size(),
                                                       " bytes; lines are at most ",
                                                       kMaxConfigLineBytes));
      }
      ++line;
    }
  }
  INIReader reader(text.data(), text.size());
  if (reader.ParseError() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("config does not parse (line ", reader.ParseError(), ")"));
  }
  // INIReader joins the values of a repeated key with a line break, which
  // would pass as one value (a host name with a newline in it; found by
  // //tests/fuzz:config_file_fuzz).
  for (const char* key :
       {"tracker_host", "tracker_port", "username", "chunk_listen", "chunk_public_endpoint",
        "chunk_size_kib", "announce_interval_s", "serve_budget_mib", "reseed", "download_history",
        "admin_socket", "admin_tcp", "admin_tls_cert", "admin_tls_key", "admin_token_file"}) {
    for (const char* section : {"", "peer"}) {
      if (reader.Get(section, key, "").find('\n') != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(key, " is set more than once"));
      }
    }
  }
  PeerConfig config;
  std::string value;
  uint64_t number = 0;
  if (Lookup(reader, "tracker_port", value)) {
    if (absl::Status s = ParseUnsigned("tracker_port", value, 1, 65535, number); !s.ok()) return s;
    config.tracker_port = static_cast<uint16_t>(number);
    config.tracker_configured = true;
  }
  if (Lookup(reader, "tracker_host", value)) {
    if (absl::Status s = ParseTrackerHosts(value, config); !s.ok()) return s;
    config.tracker_configured = true;
  }
  if (Lookup(reader, "username", value) && !value.empty()) {
    if (absl::Status s = ValidateUsername(value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("username: ", s.message()));
    }
    config.username = value;
  }
  if (Lookup(reader, "chunk_listen", value)) {
    if (value.rfind("tcp://", 0) != 0 && value.rfind("ipc://", 0) != 0) {
      return absl::InvalidArgumentError("chunk_listen must start with tcp:// or ipc://");
    }
    config.chunk_listen = value;
  }
  if (Lookup(reader, "chunk_public_endpoint", value) && !value.empty()) {
    if (ForAnnounce(value).chunk_port == 0 || value.size() > 200) {
      return absl::InvalidArgumentError(
          "chunk_public_endpoint must be tcp://HOST:PORT with a port 1..65535");
    }
    config.chunk_public_endpoint = value;
  }
  if (Lookup(reader, "chunk_size_kib", value)) {
    if (absl::Status s =
            ParseUnsigned("chunk_size_kib", value, kMinChunkSizeKib, kMaxChunkSizeKib, number);
        !s.ok()) {
      return s;
    }
    if ((number & (number - 1)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("chunk_size_kib must be a power of two (",
                                                     kMinChunkSizeKib, "..", kMaxChunkSizeKib,
                                                     ")"));
    }
    config.chunk_size_kib = static_cast<uint32_t>(number);
  }
  if (Lookup(reader, "announce_interval_s", value)) {
    if (absl::Status s = ParseUnsigned("announce_interval_s", value, kMinAnnounceIntervalS,
                                       kMaxAnnounceIntervalS, number);
        !s.ok()) {
      return s;
    }
    config.announce_interval_s = static_cast<uint32_t>(number);
  }
  if (Lookup(reader, "serve_budget_mib", value)) {
    if (absl::Status s = ParseUnsigned("serve_budget_mib", value, kMinServeBudgetMib,
                                       kMaxServeBudgetMib, number);
        !s.ok()) {
      return s;
    }
    config.serve_budget_mib = static_cast<uint32_t>(number);
  }
  if (Lookup(reader, "download_history", value)) {
    if (absl::Status s = ParseUnsigned("download_history", value, kMinDownloadHistory,
                                       kMaxDownloadHistory, number);
        !s.ok()) {
      return s;
    }
    config.download_history = static_cast<uint32_t>(number);
  }
  if (Lookup(reader, "reseed", value)) {
    if (value == "true" || value == "1" || value == "yes" || value == "on") {
      config.reseed = true;
    } else if (value == "false" || value == "0" || value == "no" || value == "off") {
      config.reseed = false;
    } else {
      return absl::InvalidArgumentError("reseed must be true or false");
    }
  }
  Lookup(reader, "admin_socket", config.admin_socket);
  Lookup(reader, "admin_tcp", config.admin_tcp);
  Lookup(reader, "admin_tls_cert", config.admin_tls_cert);
  Lookup(reader, "admin_tls_key", config.admin_tls_key);
  Lookup(reader, "admin_token_file", config.admin_token_file);
  return config;
}

namespace {
constexpr std::string_view kConfigHeader =
    "# PyTorrent peer settings (key=value). Flags override these.\n";
}  // namespace

absl::StatusOr<std::string> UpdatePeerConfigText(
    std::string_view text, const std::vector<std::pair<std::string, std::string>>& updates) {
  for (const auto& [key, value] : updates) {
    if (value.find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(key, " must be a single line"));
    }
  }
  std::vector<std::string> lines =
      absl::StrSplit(absl::string_view(text.data(), text.size()), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline
  if (lines.empty()) lines.emplace_back(kConfigHeader.substr(0, kConfigHeader.size() - 1));
  std::vector<bool> seen(updates.size(), false);
  size_t first_section = lines.size();
  // Only keys ParsePeerConfig reads count: before any section or in [peer].
  // A key met only in another section is added at the top instead (found by
  // //tests/fuzz:config_file_fuzz: such an edit was saved but never read).
  bool in_read_section = true;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = absl::StripAsciiWhitespace(lines[i]);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      first_section = std::min(first_section, i);
      const size_t close = line.find(']');
      // inih reads "[]" as the unnamed section.
      const std::string name =
          close == absl::string_view::npos
              ? std::string("?")
              : absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(1, close - 1)));
      in_read_section = name.empty() || name == "peer";
      continue;
    }
    if (!in_read_section) continue;
    size_t delimiter = line.find_first_of("=:");
    if (delimiter == absl::string_view::npos) continue;
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, delimiter)));
    for (size_t u = 0; u < updates.size(); ++u) {
      if (updates[u].first == key) {
        lines[i] = absl::StrCat(key, "=", updates[u].second);
        seen[u] = true;
      }
    }
  }
  std::vector<std::string> added;
  for (size_t u = 0; u < updates.size(); ++u) {
    if (!seen[u]) added.push_back(absl::StrCat(updates[u].first, "=", updates[u].second));
  }
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(first_section), added.begin(),
               added.end());
  std::string out = absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
  // Never save an edit that would not be read back (inih has quirks a line
  // editor cannot see, e.g. an indented line continues the previous value).
  INIReader check(out.data(), out.size());
  for (const auto& [key, value] : updates) {
    std::string read;
    if (check.ParseError() != 0 || !Lookup(check, key, read) || read != value) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot set ", key, " in this config file without changing how it reads; ",
                       "edit it by hand"));
    }
  }
  return out;
}

std::string FormatPeerConfig(const PeerConfig& config) {
  std::string out(kConfigHeader);
  const PeerConfig defaults;
  if (config.tracker_configured || config.tracker_host != defaults.tracker_host ||
      config.tracker_port != defaults.tracker_port || !config.tracker_fallbacks.empty()) {
    absl::StrAppend(&out, "tracker_host=", config.tracker_host);
    for (const HostPort& fallback : config.tracker_fallbacks) {
      absl::StrAppend(&out, ",", FormatHostPort(fallback.host, fallback.port));
    }
    absl::StrAppend(&out, "\n");
    absl::StrAppend(&out, "tracker_port=", config.tracker_port, "\n");
  }
  absl::StrAppend(&out, "username=", config.username, "\n");
  absl::StrAppend(&out, "chunk_listen=", config.chunk_listen, "\n");
  if (!config.chunk_public_endpoint.empty()) {
    absl::StrAppend(&out, "chunk_public_endpoint=", config.chunk_public_endpoint, "\n");
  }
  absl::StrAppend(&out, "chunk_size_kib=", config.chunk_size_kib, "\n");
  absl::StrAppend(&out, "announce_interval_s=", config.announce_interval_s, "\n");
  absl::StrAppend(&out, "reseed=", config.reseed ? "true" : "false", "\n");
  if (config.serve_budget_mib != defaults.serve_budget_mib) {
    absl::StrAppend(&out, "serve_budget_mib=", config.serve_budget_mib, "\n");
  }
  if (config.download_history != defaults.download_history) {
    absl::StrAppend(&out, "download_history=", config.download_history, "\n");
  }
  if (!config.admin_socket.empty())
    absl::StrAppend(&out, "admin_socket=", config.admin_socket, "\n");
  if (!config.admin_tcp.empty()) absl::StrAppend(&out, "admin_tcp=", config.admin_tcp, "\n");
  if (!config.admin_tls_cert.empty()) {
    absl::StrAppend(&out, "admin_tls_cert=", config.admin_tls_cert, "\n");
  }
  if (!config.admin_tls_key.empty())
    absl::StrAppend(&out, "admin_tls_key=", config.admin_tls_key, "\n");
  if (!config.admin_token_file.empty()) {
    absl::StrAppend(&out, "admin_token_file=", config.admin_token_file, "\n");
  }
  return out;
}

}  // namespace pytorrent::peer
