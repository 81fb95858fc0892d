#ifndef PYTORRENT_ADMIN_TERMINAL_H_
#define PYTORRENT_ADMIN_TERMINAL_H_

// The CLI's terminal edge: the original PyTorrent's personality (typewriter
// text, colours, random emojis, "press any key to continue", a live progress
// line) when effects are on, and plain text otherwise.
//
// Effects are on only when stdout is a terminal, NO_COLOR is unset, TERM is
// not "dumb" and --no-effects was not given (see EffectsWanted); with effects
// off nothing here emits an escape sequence or moves the cursor.
//
// Example:
//   Terminal term(std::cin, std::cout, {.effects = EffectsWanted(no_effects)});
//   term.Typewrite(term.Colour("Welcome!", Colour::kCyan) + " " + term.Emoji() + "\n");
//   std::optional<std::string> name = term.Prompt("Choose a username: ");
//
// Not thread-safe; one per process.

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace pytorrent::admin {

enum class Colour { kRed, kGreen, kYellow, kBlue, kMagenta, kCyan, kBold, kDim };

// True when effects should be used for stdout in this environment.
bool EffectsWanted(bool no_effects_flag);

// On SIGINT/SIGTERM/SIGHUP: restore the terminal mode saved now (echo, line
// editing), reset colours, and exit 130. Call once from main before any raw
// read; async-signal-safe.
void RestoreTerminalOnSignal();

class Terminal {
 public:
  struct Options {
    bool effects = false;
    // Single-key reads (press any key) use raw mode when stdin is a TTY.
    bool stdin_is_tty = false;
    uint64_t emoji_seed = 0;
    absl::Duration typewriter_delay_per_char = absl::Milliseconds(4);
  };

  Terminal(std::istream& in, std::ostream& out, Options options);
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool effects() const { return options_.effects; }

  void Print(std::string_view text);
  // Prints character by character with a short delay when effects are on.
  void Typewrite(std::string_view text);
  // `text` wrapped in an ANSI colour when effects are on, else `text`.
  std::string Colour(std::string_view text, admin::Colour colour) const;
  // A random emoji, or "" without effects.
  std::string Emoji();
  // `text` followed by " " and a random emoji with effects; `text` alone
  // without.
  std::string WithEmoji(std::string_view text);
  // Prints `question`, reads one line (without the newline). nullopt on EOF.
  // When stdin is not a terminal the answer is echoed, so logs read well.
  std::optional<std::string> Prompt(std::string_view question);
  // "Press any key to continue": one key in raw mode on a TTY, else a line.
  // Returns false on EOF.
  bool PressAnyKey();
  // Redraws the progress display with `text` (effects only; else nothing):
  // one line, or several separated by '\n' (the bar, then why it waits).
  void ShowProgress(std::string_view text);
  // Ends a progress line (newline after the last redraw).
  void EndProgress();
  void ClearScreen();
  // Width of the output terminal in columns (80 when unknown).
  int Columns() const;

 private:
  std::istream& in_;
  std::ostream& out_;
  Options options_;
  std::mt19937_64 rng_;
  bool progress_shown_ = false;
  // Lines the progress display took at its last redraw.
  int progress_lines_ = 0;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_TERMINAL_H_
