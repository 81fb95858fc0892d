#include "admin/terminal.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace pytorrent::admin {
namespace {

constexpr std::array<std::string_view, 12> kEmojis = {"🚀", "🎉",       "✨", "🌈", "🔥", "💾",
                                                      "📦", "🛰️", "🎈", "🍀", "🌟", "🐙"};

std::string_view Ansi(Colour colour) {
  switch (colour) {
    case Colour::kRed:
      return "\033[31m";
    case Colour::kGreen:
      return "\033[32m";
    case Colour::kYellow:
      return "\033[33m";
    case Colour::kBlue:
      return "\033[34m";
    case Colour::kMagenta:
      return "\033[35m";
    case Colour::kCyan:
      return "\033[36m";
    case Colour::kBold:
      return "\033[1m";
    case Colour::kDim:
      return "\033[2m";
  }
  return "";
}

// Restores the terminal mode when a single-key read ends.
class RawMode {
 public:
  RawMode() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // keep ISIG: Ctrl-C works
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

std::string SanitizeEcho(const std::string& line) {
  std::string out;
  for (char c : line) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  return out;
}

termios g_saved_termios{};
volatile std::sig_atomic_t g_have_saved_termios = 0;

void OnTerminatingSignal(int) {
  if (g_have_saved_termios) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  if (isatty(STDOUT_FILENO)) {
    static constexpr char kReset[] = "\033[0m\n";
    [[maybe_unused]] ssize_t n = write(STDOUT_FILENO, kReset, sizeof(kReset) - 1);
  }
  _exit(130);
}

}  // namespace

void RestoreTerminalOnSignal() {
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &g_saved_termios) == 0) {
    g_have_saved_termios = 1;
  }
  struct sigaction action {};
  action.sa_handler = OnTerminatingSignal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
}

bool EffectsWanted(bool no_effects_flag) {
  if (no_effects_flag) return false;
  if (isatty(STDOUT_FILENO) == 0) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return true;
}

Terminal::Terminal(std::istream& in, std::ostream& out, Options options)
    : in_(in), out_(out), options_(options), rng_(options.emoji_seed) {}

Terminal::~Terminal() { EndProgress(); }

void Terminal::Print(std::string_view text) {
  out_ << text;
  out_.flush();
}

void Terminal::Typewrite(std::string_view text) {
  if (!options_.effects || options_.typewriter_delay_per_char <= absl::ZeroDuration()) {
    Print(text);
    return;
  }
  bool in_escape = false;
  for (char c : text) {
    out_ << c;
    // Escape sequences and UTF-8 continuation bytes are not "characters".
    if (c == '\033') in_escape = true;
    const bool visible = !in_escape && (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (in_escape && c == 'm') in_escape = false;
    if (visible && c != ' ' && c != '\n') {
      out_.flush();
      // The typewriter effect itself: a deliberate per-character pause.
      std::this_thread::sleep_for(
          std::chrono::microseconds(absl::ToInt64Microseconds(options_.typewriter_delay_per_char)));
    }
  }
  out_.flush();
}

std::string Terminal::Colour(std::string_view text, admin::Colour colour) const {
  if (!options_.effects) return std::string(text);
  std::string out(Ansi(colour));
  out += text;
  out += "\033[0m";
  return out;
}

std::string Terminal::Emoji() {
  if (!options_.effects) return "";
  std::uniform_int_distribution<size_t> pick(0, kEmojis.size() - 1);
  return std::string(kEmojis[pick(rng_)]);
}

std::string Terminal::WithEmoji(std::string_view text) {
  std::string out(text);
  if (options_.effects) out += " " + Emoji();
  return out;
}

std::optional<std::string> Terminal::Prompt(std::string_view question) {
  EndProgress();
  Print(question);
  std::string line;
  if (!std::getline(in_, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!options_.stdin_is_tty) Print(SanitizeEcho(line) + "\n");
  return line;
}

bool Terminal::PressAnyKey() {
  EndProgress();
  Print(Colour("Press any key to continue...", Colour::kDim));
  if (options_.stdin_is_tty) {
    RawMode raw;
    if (raw.active()) {
      char c = 0;
      const ssize_t n = read(STDIN_FILENO, &c, 1);
      Print("\n");
      return n == 1;
    }
  }
  std::string line;
  const bool ok = static_cast<bool>(std::getline(in_, line));
  Print("\n");
  return ok;
}

void Terminal::ShowProgress(std::string_view text) {
  if (!options_.effects) return;
  // Back to the first line of what is shown, then each line redrawn.
  if (progress_lines_ > 1) out_ << "\033[" << (progress_lines_ - 1) << "A";
  int lines = 0;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    out_ << (lines > 0 ? "\n" : "") << "\r\033[K" << text.substr(start, end - start);
    ++lines;
    start = end + 1;
  }
  // A shorter display than the last one: clear the lines left below.
  for (int i = lines; i < progress_lines_; ++i) out_ << "\n\r\033[K";
  if (progress_lines_ > lines) out_ << "\033[" << (progress_lines_ - lines) << "A";
  out_.flush();
  progress_lines_ = std::max(lines, 1);
  progress_shown_ = true;
}

void Terminal::EndProgress() {
  if (!progress_shown_) return;
  out_ << "\n";
  out_.flush();
  progress_shown_ = false;
  progress_lines_ = 0;
}

int Terminal::Columns() const {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void Terminal::ClearScreen() {
  if (!options_.effects) return;
  Print("\033[2J\033[H");
}

}  // namespace pytorrent::admin
