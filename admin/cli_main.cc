// The PyTorrent CLI: the interactive menu (no subcommand) or one scriptable
// subcommand, talking to a node's PeerAdmin service.
//
//   cli [--home DIR | --socket PATH | --addr HOST:PORT --token T --tls-ca F]
//       [--json] [--no-effects] [SUBCOMMAND ARGS]

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "CLI/CLI.hpp"
#include "admin/admin_client.h"
#include "admin/cli_commands.h"
#include "admin/cli_menu.h"
#include "admin/terminal.h"
#include "common/time_source.h"
#include "grpc/support/log.h"

namespace {

using namespace pytorrent::admin;  // NOLINT: main's file only

// `$HOME/.pytorrent/<component>`, as the peer and tracker default to.
std::string DefaultHome(const char* component) {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && home[0] != '\0' ? home : ".") + "/.pytorrent/" + component;
}

// gRPC core logs transport failures on stderr itself; the CLI reports every
// failure as one line of its own instead (GRPC_VERBOSITY=... brings them back).
void QuietGrpcLogs() {
  if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function([](gpr_log_func_args*) {});
}

int Main(int argc, char** argv) {
  QuietGrpcLogs();
  CLI::App app{
      "PyTorrent CLI: administers a PyTorrent peer node over its gRPC admin plane.\n"
      "Without a subcommand it opens the interactive menu. Exit codes: 0 ok, 1 refused call or\n"
      "failed download, 2 usage error, 3 node unreachable.",
      "cli"};
  app.fallthrough();  // global flags are accepted after the subcommand too
  app.require_subcommand(0, 1);

  std::string home = DefaultHome("node");
  std::string socket_path;
  std::string addr;
  std::string token;
  std::string tls_ca;
  bool json = false;
  bool no_effects = false;

  CLI::Option* home_opt =
      app.add_option("--home", home,
                     "the node's home folder; the CLI connects to HOME/state/admin.sock")
          ->default_str("$HOME/.pytorrent/node");
  CLI::Option* socket_opt =
      app.add_option("--socket", socket_path, "connect to this admin Unix socket instead");
  CLI::Option* addr_opt =
      app.add_option("--addr", addr, "connect to a remote node's TLS admin listener at HOST:PORT");
  app.add_option("--token", token,
                 "bearer token for --addr (or set PYTORRENT_ADMIN_TOKEN; a flag is visible in ps)")
      ->envname("PYTORRENT_ADMIN_TOKEN");
  app.add_option("--tls-ca", tls_ca,
                 "PEM CA bundle that signed the node's certificate (--addr; default: system roots)")
      ->check(CLI::ExistingFile);
  socket_opt->excludes(home_opt);
  addr_opt->excludes(home_opt)->excludes(socket_opt);
  app.add_flag("--json", json, "print machine-readable JSON (one object per line)");
  app.add_flag("--no-effects", no_effects,
               "no colours, emojis, typewriter or cursor movement (also when stdout is not a "
               "terminal or NO_COLOR is set)");

  app.add_subcommand("status", "this node's identity, tracker and transfer rates");
  app.add_subcommand("peers", "peers connected to the tracker (menu 1)");
  app.add_subcommand("files", "files this node shares (menu 2)");
  std::string search_text;
  app.add_subcommand("search", "files on the network whose name contains TEXT")
      ->add_option("TEXT", search_text, "text to look for (case-insensitive)")
      ->required();
  CLI::App* download = app.add_subcommand("download", "download a file (menu 3)");
  std::string target;
  bool wait = false;
  bool overwrite = false;
  download->add_option("NAME_OR_ROOT", target, "exact file name, or its root hash (64 hex)")
      ->required();
  download->add_flag("--wait", wait, "wait until the download ends; exit 1 if it failed");
  download->add_flag("--overwrite", overwrite, "replace a file of the same name in downloads/");
  app.add_subcommand("downloads", "downloads in progress and recently finished");
  std::string share_path;
  app.add_subcommand("share", "share a local file (copied into the shared folder)")
      ->add_option("PATH", share_path, "the file to share")
      ->required();
  std::string new_name;
  app.add_subcommand("rename", "change this node's username (menu 4)")
      ->add_option("NEW", new_name, "the new username: 1-32 of [A-Za-z0-9_.-]")
      ->required();
  app.add_subcommand("disconnect", "leave the tracker and stop the node (menu 5)");
  CLI::App* tracker = app.add_subcommand(
      "tracker", "administer a tracker (default socket $HOME/.pytorrent/tracker/state/admin.sock)");
  tracker->require_subcommand(1);
  tracker->add_subcommand("stats", "tracker counters");
  tracker->add_subcommand("swarms", "files registered on the tracker with seeders and leechers");
  tracker->add_subcommand("peers", "peers registered on the tracker");
  std::string evict_id;
  tracker->add_subcommand("evict", "remove a peer from the tracker at once")
      ->add_option("PEER_ID", evict_id, "16 hex digits, as `cli tracker peers` shows")
      ->required();
  uint64_t cancel_id = 0;
  app.add_subcommand("cancel", "stop a download and delete its partial file")
      ->add_option("ID", cancel_id, "the download id (see `downloads`)")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  ClientOptions options;
  if (!addr.empty()) {
    options.target = addr;
    options.token = token;
    options.tls_ca_file = tls_ca;
  } else if (!socket_path.empty()) {
    options.target = "unix:" + socket_path;
  } else if (tracker->parsed() && home_opt->count() == 0) {
    options.target = "unix:" + DefaultHome("tracker") + "/state/admin.sock";
  } else {
    options.target = "unix:" + home + "/state/admin.sock";
  }
  absl::StatusOr<std::unique_ptr<AdminClient>> client = AdminClient::Create(options);
  if (!client.ok()) {
    std::cerr << "cli: " << client.status().message() << "\n";
    // A missing socket folder is "cannot reach the node" (3); the rest is usage (2).
    return ExitCodeFor(client.status()) == kExitUnreachable ? kExitUnreachable : kExitUsage;
  }

  const bool effects = !json && EffectsWanted(no_effects);
  Terminal term(std::cin, std::cout,
                {.effects = effects,
                 .stdin_is_tty = isatty(STDIN_FILENO) != 0,
                 .emoji_seed = std::random_device{}()});
  const pytorrent::RealTimeSource real_clock{};
  CliCommands commands(**client, std::cout, std::cerr, {.json = json}, &term, real_clock);

  const std::vector<CLI::App*> chosen = app.get_subcommands();
  if (chosen.empty()) {
    if (json) {
      std::cerr << "cli: --json needs a subcommand (try --help)\n";
      return kExitUsage;
    }
    RestoreTerminalOnSignal();
    CliMenu menu(**client, term, real_clock);
    return menu.Run();
  }
  const std::string name = chosen.front()->get_name();
  if (name == "status") return commands.Status();
  if (name == "peers") return commands.Peers();
  if (name == "files") return commands.Files();
  if (name == "search") return commands.Search(search_text);
  if (name == "download") {
    if (effects && wait) RestoreTerminalOnSignal();
    return commands.Download(target, wait, overwrite);
  }
  if (name == "downloads") return commands.Downloads();
  if (name == "share") return commands.Share(share_path);
  if (name == "rename") return commands.Rename(new_name);
  if (name == "disconnect") return commands.Disconnect();
  if (name == "cancel") return commands.Cancel(cancel_id);
  if (name == "tracker") {
    const std::string sub = tracker->get_subcommands().front()->get_name();
    if (sub == "stats") return commands.TrackerStats();
    if (sub == "swarms") return commands.TrackerSwarms();
    if (sub == "peers") return commands.TrackerPeers();
    if (sub == "evict") return commands.TrackerEvict(evict_id);
  }
  std::cerr << "cli: unknown subcommand " << name << "\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
