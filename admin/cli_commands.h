#ifndef PYTORRENT_ADMIN_CLI_COMMANDS_H_
#define PYTORRENT_ADMIN_CLI_COMMANDS_H_

// The CLI's scriptable subcommands: status, peers, files, search, download,
// downloads, share, rename, disconnect (and cancel). Each prints plain text (see
// cli_format.h) or, with --json, one protobuf JSON object per line, and
// returns the process exit code.
//
// Exit codes: 0 success; 1 the node refused the call or the download failed;
// 3 the node could not be reached. (2 is the CLI's usage error.)
//
// Example:
//   CliCommands commands(client, std::cout, std::cerr, {.json = true}, &term);
//   return commands.Search("bunny");

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "admin/admin_client.h"
#include "admin/terminal.h"
#include "common/time_source.h"
#include "google/protobuf/message.h"

namespace pytorrent::admin {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

// Exit code for a failed call: kExitUnreachable for transport failures.
int ExitCodeFor(const absl::Status& status);
// One line of compact protobuf JSON (field names as in the .proto, every
// field present).
std::string ToJson(const google::protobuf::Message& message);

class CliCommands {
 public:
  struct Options {
    bool json = false;
  };
  // `term` (optional) shows the live progress bar of `download --wait` when
  // its effects are on.
  // `clock` times `download --wait` for its finished progress bar.
  CliCommands(AdminClient& client, std::ostream& out, std::ostream& err, Options options,
              Terminal* term, const TimeSource& clock)
      : client_(client), out_(out), err_(err), options_(options), term_(term), clock_(clock) {}

  int Status();
  int Peers();
  int Files();
  int Search(const std::string& text);
  // `name_or_root`: an exact file name, or a root hash as 64 hex digits.
  int Download(const std::string& name_or_root, bool wait, bool overwrite);
  int Downloads();
  // A relative `path` is made absolute when the node is local.
  int Share(const std::string& path);
  int Rename(const std::string& new_username);
  int Disconnect();
  int Cancel(uint64_t download_id);
  // Against a tracker's admin socket.
  int TrackerStats();
  int TrackerSwarms();
  int TrackerPeers();
  // `peer_id`: 16 hex digits as shown by TrackerPeers.
  int TrackerEvict(const std::string& peer_id);

 private:
  int Fail(const absl::Status& status);

  AdminClient& client_;
  std::ostream& out_;
  std::ostream& err_;
  Options options_;
  Terminal* term_;
  const TimeSource& clock_;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_CLI_COMMANDS_H_
