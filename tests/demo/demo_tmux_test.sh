#!/usr/bin/env bash
# The interactive demo (tools/demo.sh with a terminal) inside tmux, against
# the binaries Bazel just built. While the CLI's menu is open nothing but the
# CLI may write to the terminal: the tracker's and the peers' output goes to
# log files in the demo folder. The test provokes a tracker warning (a
# username already taken, the warning the issue saw under the prompt), waits
# until the tracker has logged it, and checks the screen shows no log line.
# The window is wide enough that no path wraps. tmux is stopped on exit, which ends the demo; the demo stops its own
# processes by PID.
set -uo pipefail
export PYTORRENT_BIN_DIR="$PWD"
DEMO_SH="$PWD/tools/demo.sh"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
DEMO="$TMP/demo"
# tmux's server socket path must stay under 108 bytes: a short folder in /tmp.
TMUX_DIR="$(mktemp -d /tmp/ptdemo.XXXXXX)"
export TMUX_TMPDIR="$TMUX_DIR"
TMUX_NAME="pt-demo-$$-$RANDOM"
tm() { tmux -L "$TMUX_NAME" -f /dev/null "$@"; }
WAIT_S=60
cleanup() {
  # Ctrl-C ends the CLI; the demo's EXIT trap then stops its processes.
  tm send-keys -t demo C-c 2>/dev/null
  local deadline=$((SECONDS + 20))
  while tm has-session -t demo 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
    tm capture-pane -p -t demo 2>/dev/null | grep -q '\[demo exited' && break
    sleep 0.1
  done
  tm kill-server 2>/dev/null
  rm -rf "$TMUX_DIR"
}
trap cleanup EXIT

screen() { tm capture-pane -p -S -200 -t demo; }
fail() {
  echo "FAIL: $*" >&2
  echo "----- screen -----" >&2
  screen >&2
  echo "------------------" >&2
  for f in "$DEMO"/logs/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -5 "$f" >&2; }; done
  exit 1
}
wait_for() {  # wait_for TEXT: bounded poll of the screen
  local deadline=$((SECONDS + WAIT_S))
  until screen 2>/dev/null | grep -qF -- "$1"; do
    [ "$SECONDS" -ge "$deadline" ] && fail "timed out waiting for: $1"
    sleep 0.05
  done
}
keys() { tm send-keys -t demo "$@"; }

tm new-session -d -s demo -x 400 -y 60 \
  "PYTORRENT_DEMO_DIR='$DEMO' PYTORRENT_DEMO_SIZE_MIB=4 bash '$DEMO_SH'; echo \"[demo exited \$?]\"; sleep 600"

wait_for "Choose a username:"
keys "zoe" Enter
wait_for "Choose an option:"
keys 4 Enter
wait_for "New username:"
keys "ada" Enter  # a seeder's name: the tracker refuses it and logs a warning
wait_for "error:"
deadline=$((SECONDS + WAIT_S))
until grep -q "username_taken" "$DEMO/logs/tracker.log" 2>/dev/null; do
  [ "$SECONDS" -ge "$deadline" ] && fail "the tracker never logged the refused username"
  sleep 0.1
done

shown="$(screen)"
echo "$shown" | grep -qE '(warning|info|error) \[[0-9]+\]|username_taken|^[0-9]{4}-[0-9]{2}-[0-9]{2}T' &&
  fail "a background process wrote to the terminal"
[ -s "$DEMO/logs/tracker.log" ] || fail "no tracker log in $DEMO/logs"
for n in ada grace linus you; do [ -f "$DEMO/logs/seeder-$n.log" ] || [ "$n" = you ] ||
  fail "no log of seeder $n"; done
keys Enter  # press any key to continue
wait_for "Choose an option:"
keys q Enter
wait_for "[demo exited 0]"
screen | grep -qF "logs of the tracker and the peers: $DEMO/logs" || fail "no log location at exit"
echo "PASS: only the CLI wrote to the terminal; logs in $DEMO/logs"
