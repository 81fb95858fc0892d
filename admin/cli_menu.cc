#include "admin/cli_menu.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admin/cli_commands.h"
#include "admin/cli_format.h"
#include "admin/download_stopwatch.h"
#include "common/names.h"

namespace pytorrent::admin {
namespace {

constexpr char kDefaultTrackerHost[] = "127.0.0.1";
constexpr uint32_t kDefaultTrackerPort = 6969;

std::string Trimmed(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(absl::string_view(s.data(), s.size())));
}

}  // namespace

absl::Status CliMenu::Report(const absl::Status& status) {
  if (status.ok()) return status;
  term_.Print(term_.Colour("error: ", Colour::kRed) +
              SanitizeForTerminal(std::string(status.message())) + "\n");
  if (ExitCodeFor(status) == kExitUnreachable) return status;
  return absl::OkStatus();
}

void CliMenu::Heading(const std::string& title) {
  term_.ClearScreen();
  term_.Typewrite(term_.WithEmoji(term_.Colour(title, Colour::kBold)) + "\n\n");
}

int CliMenu::Run() {
  absl::StatusOr<v1::PeerStatus> status = client_.GetStatus();
  if (!status.ok()) {
    // One line on stderr is printed by main for the non-interactive paths;
    // here the menu is the UI, so say it the same way.
    std::cerr << "cli: " << SanitizeForTerminal(std::string(status.status().message())) << "\n";
    return ExitCodeFor(status.status());
  }
  username_ = status->username();
  if (username_.empty() || status->tracker_address().empty()) {
    if (absl::Status s = FirstRun(*status); !s.ok()) return ExitCodeFor(s);
    if (input_closed_) return kExitOk;
  }
  while (true) {
    ShowMenu();
    std::optional<std::string> choice = term_.Prompt("Choose an option: ");
    if (!choice) return kExitOk;
    const std::string c = Trimmed(*choice);
    absl::Status s;
    if (c == "1") {
      s = ShowPeers();
    } else if (c == "2") {
      s = ShowSharedFiles();
    } else if (c == "3") {
      s = DownloadFile();
    } else if (c == "4") {
      s = ChangeUsername();
    } else if (c == "5") {
      absl::Status d = client_.Disconnect();
      if (!d.ok()) {
        s = Report(d);
      } else {
        term_.Typewrite(term_.WithEmoji(term_.Colour("Disconnected from the network. Goodbye!",
                                                     Colour::kGreen)) +
                        "\n");
        return kExitOk;
      }
    } else if (c == "6") {
      s = ShowDownloads();
    } else if (c == "q" || c == "Q") {
      term_.Print("Bye! The node keeps running.\n");
      return kExitOk;
    } else if (c.empty()) {
      continue;
    } else {
      term_.Print(term_.Colour("Please pick 1-6 or q.", Colour::kYellow) + "\n");
      continue;
    }
    if (!s.ok()) return ExitCodeFor(s);
    if (input_closed_ || !term_.PressAnyKey()) return kExitOk;
  }
}

void CliMenu::ShowMenu() {
  Heading(absl::StrCat("PyTorrent - logged in as ", SanitizeForTerminal(username_)));
  term_.Print(absl::StrCat(term_.Colour("  1)", Colour::kCyan), " View connected peers\n",
                           term_.Colour("  2)", Colour::kCyan), " View shared files\n",
                           term_.Colour("  3)", Colour::kCyan), " Download a file\n",
                           term_.Colour("  4)", Colour::kCyan), " Change username\n",
                           term_.Colour("  5)", Colour::kCyan), " Disconnect\n",
                           term_.Colour("  6)", Colour::kCyan), " View downloads in progress\n",
                           term_.Colour("  q)", Colour::kCyan),
                           " Quit the CLI (the node keeps running)\n\n"));
}

absl::Status CliMenu::FirstRun(const v1::PeerStatus& status) {
  term_.ClearScreen();
  term_.Typewrite(term_.WithEmoji(term_.Colour("Welcome to PyTorrent!", Colour::kBold)) +
                  "\nThis node is not set up yet; let's fix that.\n\n");
  v1::UpdateSettingsRequest settings;
  std::string username = status.username();
  while (username.empty()) {
    std::optional<std::string> answer = term_.Prompt("Choose a username: ");
    if (!answer) {
      input_closed_ = true;
      return absl::OkStatus();
    }
    const std::string candidate = Trimmed(*answer);
    if (absl::Status s = ValidateUsername(candidate); !s.ok()) {
      term_.Print(term_.Colour(std::string(s.message()), Colour::kYellow) + "\n");
      continue;
    }
    username = candidate;
    settings.set_username(candidate);
  }
  if (status.tracker_address().empty()) {
    std::optional<std::string> host =
        term_.Prompt(absl::StrCat("Tracker host [", kDefaultTrackerHost, "]: "));
    if (!host) {
      input_closed_ = true;
      return absl::OkStatus();
    }
    settings.set_tracker_host(Trimmed(*host).empty() ? kDefaultTrackerHost : Trimmed(*host));
    uint32_t port = 0;
    while (port == 0) {
      std::optional<std::string> answer =
          term_.Prompt(absl::StrCat("Tracker port [", kDefaultTrackerPort, "]: "));
      if (!answer) {
        input_closed_ = true;
        return absl::OkStatus();
      }
      const std::string p = Trimmed(*answer);
      if (p.empty()) {
        port = kDefaultTrackerPort;
      } else if (!absl::SimpleAtoi(p, &port) || port == 0 || port > 65535) {
        term_.Print(term_.Colour("A port is a number from 1 to 65535.", Colour::kYellow) + "\n");
        port = 0;
      }
    }
    settings.set_tracker_port(port);
  }
  absl::Status saved = client_.UpdateSettings(settings);
  if (!saved.ok()) return Report(saved);
  username_ = username;
  term_.Typewrite(term_.WithEmoji(term_.Colour(absl::StrCat("Saved. Welcome, ", username, "!"),
                                               Colour::kGreen)) +
                  "\n");
  return absl::OkStatus();
}

absl::Status CliMenu::ShowPeers() {
  Heading("Connected peers");
  absl::StatusOr<v1::ListPeersResponse> peers = client_.ListPeers();
  if (!peers.ok()) return Report(peers.status());
  term_.Print(FormatPeers(*peers));
  return absl::OkStatus();
}

absl::Status CliMenu::ShowSharedFiles() {
  Heading("Shared files");
  absl::StatusOr<v1::ListSharedFilesResponse> files = client_.ListSharedFiles();
  if (!files.ok()) return Report(files.status());
  term_.Print(FormatSharedFiles(*files));
  return absl::OkStatus();
}

absl::Status CliMenu::DownloadFile() {
  Heading("Download a file");
  std::optional<std::string> query = term_.Prompt("Search the network (Enter for all files): ");
  if (!query) {
    input_closed_ = true;
    return absl::OkStatus();
  }
  absl::StatusOr<v1::SearchFilesResponse> files = client_.SearchFiles(Trimmed(*query));
  if (!files.ok()) return Report(files.status());
  term_.Print(FormatSearchResults(*files, /*numbered=*/true));
  if (files->files().empty()) return absl::OkStatus();
  std::optional<std::string> pick =
      term_.Prompt(absl::StrCat("Pick a file [1-", files->files_size(), "] (Enter to go back): "));
  if (!pick) {
    input_closed_ = true;
    return absl::OkStatus();
  }
  int index = 0;
  if (Trimmed(*pick).empty()) return absl::OkStatus();
  if (!absl::SimpleAtoi(Trimmed(*pick), &index) || index < 1 || index > files->files_size()) {
    term_.Print(term_.Colour("No such file number.", Colour::kYellow) + "\n");
    return absl::OkStatus();
  }
  const v1::FileSummary& file = files->files(index - 1);
  v1::StartDownloadRequest request;
  request.set_root_hash(file.root_hash());
  DownloadStopwatch stopwatch(clock_);
  absl::StatusOr<uint64_t> id = client_.StartDownload(request);
  if (!id.ok()) return Report(id.status());
  term_.Typewrite(
      term_.WithEmoji(absl::StrCat("Downloading ", SanitizeForTerminal(file.name()), " from ",
                                   file.seeders(), " seeder", file.seeders() == 1 ? "" : "s")) +
      "\n");
  absl::StatusOr<v1::DownloadProgress> last =
      client_.WatchDownload(*id, 0, [&](const v1::DownloadProgress& p) {
        stopwatch.Observe(p);
        if (p.state() == v1::DOWNLOAD_STATE_COMPLETED) return;  // the green bar follows
        term_.ShowProgress(
            term_.Colour(RenderProgressBar(ViewOf(p), ProgressBarWidth(term_.Columns(), 0)),
                         Colour::kCyan) +
            term_.Colour(WaitingLine(p), Colour::kYellow));
      });
  if (!last.ok()) {
    term_.EndProgress();
    return Report(last.status());
  }
  if (last->state() != v1::DOWNLOAD_STATE_COMPLETED) {
    term_.EndProgress();
    term_.Print(term_.Colour(FormatDownloadResult(*last), Colour::kRed));
    return absl::OkStatus();
  }
  // The finished bar, in green, replaces the live one (or is the only one
  // without effects).
  const std::string bar = term_.Colour(RenderFinishedBar(ViewOf(*last), stopwatch.Finish(*last),
                                                         ProgressBarWidth(term_.Columns(), 0)),
                                       Colour::kGreen);
  if (term_.effects()) {
    term_.ShowProgress(bar);
    term_.EndProgress();
  } else {
    term_.Print(bar + "\n");
  }
  term_.Typewrite(
      term_.WithEmoji(term_.Colour(
          absl::StrCat("Download complete: ", SanitizeForTerminal(last->name())), Colour::kGreen)) +
      "\n");
  if (const std::string from = FormatContributions(*last); !from.empty()) {
    term_.Print(term_.Colour(from, Colour::kDim) + "\n");
  }
  term_.Print(absl::StrCat("SHA-256 (verified): ", ShortHex(last->file_sha256(), 64), "\n",
                           "Saved to ", SanitizeForTerminal(last->path()), "\n"));
  std::optional<std::string> keep =
      term_.Prompt(absl::StrCat("Keep seeding ", SanitizeForTerminal(last->name()), "? [Y/n]: "));
  if (!keep) {
    input_closed_ = true;
    return absl::OkStatus();
  }
  const std::string k = absl::AsciiStrToLower(Trimmed(*keep));
  const bool seeding = !(k == "n" || k == "no");
  if (absl::Status s = client_.SetSeeding(last->root_hash(), seeding); !s.ok()) return Report(s);
  term_.Print(seeding ? "Seeding it for others. Thank you!\n" : "Not seeding it.\n");
  return absl::OkStatus();
}

absl::Status CliMenu::ChangeUsername() {
  Heading("Change username");
  std::optional<std::string> answer = term_.Prompt("New username: ");
  if (!answer) {
    input_closed_ = true;
    return absl::OkStatus();
  }
  const std::string name = Trimmed(*answer);
  if (absl::Status s = ValidateUsername(name); !s.ok()) {
    term_.Print(term_.Colour(std::string(s.message()), Colour::kYellow) + "\n");
    return absl::OkStatus();
  }
  if (absl::Status s = client_.ChangeUsername(name); !s.ok()) return Report(s);
  username_ = name;
  term_.Typewrite(
      term_.WithEmoji(term_.Colour(absl::StrCat("You are now ", name, "."), Colour::kGreen)) +
      "\n");
  return absl::OkStatus();
}

absl::Status CliMenu::ShowDownloads() {
  Heading("Downloads");
  absl::StatusOr<v1::ListDownloadsResponse> downloads = client_.ListDownloads();
  if (!downloads.ok()) return Report(downloads.status());
  term_.Print(FormatDownloads(*downloads));
  return absl::OkStatus();
}

}  // namespace pytorrent::admin
