#ifndef PYTORRENT_ADMIN_CLI_MENU_H_
#define PYTORRENT_ADMIN_CLI_MENU_H_

// The interactive menu of the original PyTorrent, driven over gRPC:
//   1 view connected peers, 2 view shared files, 3 download a file (search,
//   pick, live progress bar, verified SHA-256, keep seeding? [Y/n]),
//   4 change username, 5 disconnect, 6 downloads in progress, q quit.
// On first run (the node has no username) it asks for the username and,
// when missing, the tracker address, and saves them via UpdateSettings.
//
// Example:
//   CliMenu menu(client, term);
//   return menu.Run();  // exit code, see cli_commands.h
//
// Not thread-safe.

#include <string>

#include "absl/status/status.h"
#include "admin/admin_client.h"
#include "admin/terminal.h"
#include "common/time_source.h"

namespace pytorrent::admin {

class CliMenu {
 public:
  // `clock` times downloads for the finished progress bar.
  CliMenu(AdminClient& client, Terminal& term, const TimeSource& clock)
      : client_(client), term_(term), clock_(clock) {}

  // Runs until 5 (disconnect), q or end of input. Returns the exit code.
  int Run();

 private:
  // Each returns OK to go on, or the failure that should end the menu
  // (the node is unreachable). Refused calls are shown and the menu goes on.
  absl::Status FirstRun(const v1::PeerStatus& status);
  absl::Status ShowPeers();
  absl::Status ShowSharedFiles();
  absl::Status DownloadFile();
  absl::Status ChangeUsername();
  absl::Status ShowDownloads();
  void ShowMenu();
  // Prints a refused call; returns it if it means the node is gone.
  absl::Status Report(const absl::Status& status);
  void Heading(const std::string& title);

  AdminClient& client_;
  Terminal& term_;
  const TimeSource& clock_;
  std::string username_;
  bool input_closed_ = false;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_CLI_MENU_H_
