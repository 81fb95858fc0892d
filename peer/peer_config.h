#ifndef PYTORRENT_PEER_PEER_CONFIG_H_
#define PYTORRENT_PEER_PEER_CONFIG_H_

// The peer node's settings, as read from `config/config.txt` (key=value
// lines, the original PyTorrent's format, parsed with inih).
//
// Keys: tracker_host (one host, or a comma-separated list of tracker
// instances of one network: "a.lan,10.0.0.2:7000,[2001:db8::3]"; entries
// after the first may carry their own port), tracker_port, username,
// chunk_listen,
// chunk_public_endpoint, chunk_size_kib, announce_interval_s,
// serve_budget_mib, reseed, download_history, admin_socket, admin_tcp,
// admin_tls_cert,
// admin_tls_key, admin_token_file. Unknown keys are ignored (forward
// compatible); known keys with bad values are INVALID_ARGUMENT naming the key.
//
// Example:
//   absl::StatusOr<PeerConfig> config = ParsePeerConfig("tracker_port=7000\n");
//
// Pure value type and pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/file_limits.h"
#include "common/host_port.h"
#include "peer/chunk_listen.h"

namespace pytorrent::peer {

// Bounds of the numeric settings, shared by the config file and the flags.
inline constexpr uint32_t kMinServeBudgetMib = 8;
inline constexpr uint32_t kMaxServeBudgetMib = 1 << 20;
inline constexpr uint32_t kMinAnnounceIntervalS = 1;
inline constexpr uint32_t kMaxAnnounceIntervalS = 86400;
inline constexpr uint32_t kMinDownloadHistory = 1;
inline constexpr uint32_t kMaxDownloadHistory = 100000;
inline constexpr uint32_t kMinChunkSizeKib = kMinChunkSizeBytes / 1024;
inline constexpr uint32_t kMaxChunkSizeKib = kMaxChunkSizeBytes / 1024;
// Tracker addresses a config may list (tracker_host, repeated --tracker).
inline constexpr size_t kMaxTrackerAddresses = 16;
// Longest config line: inih as Debian builds it (INI_MAX_LINE 200, with the
// line break and the NUL) silently cuts a longer line and reads the rest as
// another line, so longer lines are refused and never written.
inline constexpr size_t kMaxConfigLineBytes = 198;

struct PeerConfig {
  // A name or an IP address; IPv6 without brackets (the config file may
  // write them, as in tracker_host=[2001:db8::1]).
  std::string tracker_host = "127.0.0.1";
  uint16_t tracker_port = 6969;
  // More instances of the same tracker network, tried in order when the one
  // in use stops answering (peer/failover_tracker_client.h): the entries of
  // tracker_host after the first (one without a port takes tracker_port), or
  // repeated --tracker flags. UpdateSettings sets one address and drops them.
  std::vector<HostPort> tracker_fallbacks;
  // True once a tracker address was configured (a tracker_host or
  // tracker_port key, the --tracker flag, UpdateSettings). Until then the node
  // uses the defaults above but reports no tracker address, so the CLI's first
  // run asks for one. FormatPeerConfig writes the tracker keys only when set
  // (or when they differ from the defaults).
  bool tracker_configured = false;
  // Empty until configured; the node then makes one up from its peer id.
  std::string username;
  // Every interface, IPv6 and IPv4, port 6881 (any free port if that one is
  // taken): see chunk_listen.h.
  std::string chunk_listen = kDefaultChunkListen;
  // Empty: announce the bound port. Else "tcp://HOST:PORT", where others
  // reach this node through a port forward or a proxy: its port is
  // announced, and HOST is listed by trackers that trust claimed hosts.
  std::string chunk_public_endpoint;
  uint32_t chunk_size_kib = 256;
  uint32_t announce_interval_s = 60;
  // Memory for chunk replies being served, all requesters together
  // (peer/transfer/serving_budget.h); requests beyond it get NO_CREDIT.
  uint32_t serve_budget_mib = 128;
  bool reseed = true;
  // Finished downloads kept in ListDownloads/WatchDownload (oldest dropped;
  // logs/download.log keeps every completion).
  uint32_t download_history = 100;
  // Empty: HOME/state/admin.sock.
  std::string admin_socket;
  std::string admin_tcp;
  std::string admin_tls_cert;
  std::string admin_tls_key;
  std::string admin_token_file;
};

// Text in, validated config or INVALID_ARGUMENT out. Keys may sit before any
// section or in a [peer] section.
absl::StatusOr<PeerConfig> ParsePeerConfig(std::string_view text);

// The config as key=value lines that ParsePeerConfig reads back identically.
std::string FormatPeerConfig(const PeerConfig& config);

// A config file's text with each (key, value) of `updates` set: every line
// of that key in the sections ParsePeerConfig reads (none, "[]" or [peer])
// gets the new value in place; a key not there is added before the first
// section. Comments, other keys and their order stay as they were, so
// settings that came from flags are never written into the file.
// INVALID_ARGUMENT for a value with a line break or NUL;
// FAILED_PRECONDITION if the edited text would not read back the new values
// (e.g. an indented line after the added key continues its value).
// `text` empty: a fresh file with the usual header.
absl::StatusOr<std::string> UpdatePeerConfigText(
    std::string_view text, const std::vector<std::pair<std::string, std::string>>& updates);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_PEER_CONFIG_H_
