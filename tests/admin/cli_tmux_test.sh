#!/usr/bin/env bash
# Drives the interactive CLI menu inside tmux (a real terminal) against the
# fake node: first run (username + tracker), then all menu options, including
# a download with its live progress bar, and checks what the screen shows and
# what the node was asked to do.
#
# Against a real node (run the script from the runfiles root, or with
# bazel test --test_env=...):
#   CLI_TMUX_SOCKET=HOME/state/admin.sock   the node's admin socket; skips the
#                                           fake node and its exact-content checks
#   CLI_TMUX_SEARCH=TEXT                    what to search for in menu 3 (default
#                                           "bunny"); the first hit is downloaded
#   CLI_TMUX_SHA256=HEX                     expected SHA-256 of that file (optional)
# The first-run questions are answered if the node asks them. Menu 5 stops
# the node at the end.
set -uo pipefail

CLI="$PWD/admin/cli"
NODE="$PWD/tests/admin/fake_node"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
# The node's socket, journal and ready file: any path length works for our
# own sockets (admin/unix_socket_path.h).
WORK="$(mktemp -d "$TMP/pttmux.XXXXXX")"
# tmux's own server socket is $TMUX_TMPDIR/tmux-UID/NAME and tmux has no way
# around the 108-byte limit: that one folder stays short, under /tmp.
TMUX_DIR="$(mktemp -d /tmp/pttmux.XXXXXX)"
export TMUX_TMPDIR="$TMUX_DIR"
TMUX_NAME="pt-cli-$$-$RANDOM"
tm() { tmux -L "$TMUX_NAME" -f /dev/null "$@"; }
# Every wait is bounded by a deadline, generous enough for a loaded machine.
WAIT_S="${CLI_TMUX_WAIT_S:-30}"
NODE_PID=""
PANE="cli"  # the tmux session whose screen fail() shows
cleanup() {
  tm kill-server 2>/dev/null
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  rm -rf "$WORK" "$TMUX_DIR"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "----- screen of tmux session '$PANE' -----" >&2
  tm capture-pane -p -t "$PANE" >&2
  echo "----- tmux sessions -----" >&2
  tm list-sessions >&2
  echo "------------------" >&2
  [ -f "$WORK/journal" ] && { echo "journal:" >&2; cat "$WORK/journal" >&2; }
  [ -s "$TMP/node.log" ] && { echo "node log:" >&2; tail -20 "$TMP/node.log" >&2; }
  exit 1
}

screen() { tm capture-pane -p -t "$PANE"; }

# until_screen SECONDS GREP_ARGS...: polls the screen of $PANE until grep
# matches; returns 1 once SECONDS have passed without a match.
until_screen() {
  local deadline=$((SECONDS + $1))
  shift
  while :; do
    screen 2>/dev/null | grep -q "$@" && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# wait_for TEXT [SECONDS]: waits until TEXT shows up on the screen.
wait_for() {
  until_screen "${2:-$WAIT_S}" -F -- "$1" || fail "timed out waiting for: $1"
}

# wait_for_re REGEX [SECONDS]
wait_for_re() {
  until_screen "${2:-$WAIT_S}" -E -- "$1" || fail "timed out waiting for /$1/"
}

keys() { tm send-keys -t "$PANE" "$@"; }

# start_session NAME COMMAND: a 120x40 tmux session running COMMAND, then
# "[NAME exited RC]" and a long sleep so the screen stays readable. All
# sessions share one tmux server that lives until cleanup: killing the last
# session makes the server exit asynchronously, and a new-session racing
# with that exit fails ("server exited unexpectedly"), so no session is
# killed before the end.
start_session() {
  PANE="$1"
  tm new-session -d -s "$1" -x 120 -y 40 "$2; echo \"[$1 exited \$?]\"; sleep 600" ||
    fail "tmux new-session $1 failed"
}

SOCK="${CLI_TMUX_SOCKET:-}"
SEARCH="${CLI_TMUX_SEARCH:-bunny}"
SHA="${CLI_TMUX_SHA256:-}"
FAKE=0
if [ -z "$SOCK" ]; then
  FAKE=1
  SHA="9c8b99fb20573f5fb7521a18d3873df96bf4605db3d05f1330f7ebabaa185333"
  SOCK="$WORK/admin.sock"
  "$NODE" --socket "$SOCK" --ready-file "$WORK/ready" --journal "$WORK/journal" \
    --username "" --tick-ms 100 --tick-bytes 524288 2>"$TMP/node.log" &
  NODE_PID=$!
  deadline=$((SECONDS + WAIT_S))
  until [ -f "$WORK/ready" ]; do
    kill -0 "$NODE_PID" 2>/dev/null || fail "fake node exited before it was ready"
    [ "$SECONDS" -ge "$deadline" ] && fail "fake node not ready after ${WAIT_S}s"
    sleep 0.05
  done
fi

# In a terminal, NO_COLOR and --no-effects still turn every effect off; Ctrl-C
# leaves cleanly (exit 130) from a prompt.
n=0
for variant in "env NO_COLOR=1 '$CLI' --socket '$SOCK'" "'$CLI' --no-effects --socket '$SOCK'"; do
  n=$((n + 1))
  start_session "plain$n" "$variant"
  wait_for_re "Choose (a username|an option):"
  if tm capture-pane -p -e -t "$PANE" | grep -q $'\033\['; then fail "effects with: $variant"; fi
  keys C-c
  wait_for "[plain$n exited 130]"
done

start_session cli "env -u NO_COLOR TERM=xterm-256color '$CLI' --socket '$SOCK'"

# wait_for_any TEXT1 TEXT2: sets WHICH to 1 or 2, whichever shows up first.
WHICH=0
wait_for_any() {
  local deadline=$((SECONDS + WAIT_S)) now
  while :; do
    now="$(screen 2>/dev/null)"
    grep -qF -- "$1" <<<"$now" && { WHICH=1; return 0; }
    grep -qF -- "$2" <<<"$now" && { WHICH=2; return 0; }
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.05
  done
  fail "timed out waiting for '$1' or '$2'"
}

# First run: username and tracker address (always asked by the fake node).
wait_for_any "Choose a username:" "Choose an option:"
if [ "$WHICH" = 1 ]; then
  keys "bad name" Enter
  wait_for "username may contain only"
  keys "dave" Enter
  wait_for_any "Tracker host [127.0.0.1]:" "Choose an option:"
  if [ "$WHICH" = 1 ]; then
    keys Enter
    wait_for "Tracker port [6969]:"
    keys "6970" Enter
  fi
  wait_for "logged in as dave"
fi
wait_for "Choose an option:"
# Effects are on in a terminal: colours.
tm capture-pane -p -e -t cli | grep -q $'\033\[' || fail "no colours in a terminal"

# 1: connected peers.
keys "1" Enter
wait_for_re "[0-9]+ peers? on the tracker|no peers are connected"
if [ "$FAKE" = 1 ]; then
  screen | grep -qF "3 peers on the tracker" || fail "peer count"
  screen | grep -qE "alice +a0a0000000000001 +3 +tcp://127.0.0.1:7001" || fail "peer table"
fi
wait_for "Press any key to continue"
keys "x"
wait_for "Choose an option:"

# 2: shared files.
keys "2" Enter
wait_for_re "[0-9]+ files? shared|no shared files"
if [ "$FAKE" = 1 ]; then
  screen | grep -qE "holiday.jpg +3.1 MB +yes" || fail "shared files table"
fi
keys "x"
wait_for "Choose an option:"

# 3: search, pick, live progress bar, verified SHA-256, keep seeding.
keys "3" Enter
wait_for "Search the network"
keys "$SEARCH" Enter
wait_for_re "^ *1\)  .*seeders [0-9]+"
NAME="$(screen | sed -nE 's/^ *1\)  (.*[^ ]) +[0-9.]+ [kMGT]?B  seeders.*/\1/p' | head -1)"
[ -n "$NAME" ] || fail "no first search hit"
wait_for "Pick a file [1-"
keys "1" Enter
wait_for "Downloading $NAME from"
if [ "$FAKE" = 1 ]; then
  # A partly filled bar with percent, rate, ETA and seeders.
  wait_for_re '\[#+-+\] +[0-9]+\.[0-9]%  [0-9.]+ MB/s  ETA 0:0[0-9]  seeders 2'
fi
wait_for "Download complete: $NAME" $((2 * WAIT_S))
# The finished bar: average rate over the whole download and how long it
# took, not the last instant's "0 B/s  ETA --:--  seeders 0".
screen | grep -qE '\[#+\] +100\.0%  avg [0-9.]+ [kMG]?B/s  took [0-9]+(\.[0-9]s|:[0-9]{2})' ||
  fail "finished bar with average rate and elapsed time"
if screen | grep -qF 'ETA --:--'; then fail "finished bar still shows the last instant"; fi
if [ -n "$SHA" ]; then
  wait_for "SHA-256 (verified): $SHA"
else
  wait_for_re "SHA-256 \(verified\): [0-9a-f]{64}"
fi
wait_for "Keep seeding $NAME? [Y/n]:"
keys Enter
wait_for "Seeding it for others"
keys "x"
wait_for "Choose an option:"

# 6: downloads in progress (now finished).
keys "6" Enter
wait_for_re "[0-9]+ +$NAME +completed +100.0%"
keys "x"
wait_for "Choose an option:"

# 4: change username.
NEW_NAME="erin$RANDOM"
[ "$FAKE" = 1 ] && NEW_NAME="erin"
keys "4" Enter
wait_for "New username:"
keys "$NEW_NAME" Enter
wait_for "You are now $NEW_NAME."
keys "x"
wait_for "logged in as $NEW_NAME"

# 5: disconnect.
keys "5" Enter
wait_for "Disconnected from the network. Goodbye!"
wait_for "[cli exited 0]"

if [ "$FAKE" = 1 ]; then
  deadline=$((SECONDS + WAIT_S))
  while kill -0 "$NODE_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
  kill -0 "$NODE_PID" 2>/dev/null && fail "node still running ${WAIT_S}s after disconnect"
  wait "$NODE_PID"
  rc=$?
  NODE_PID=""
  [ "$rc" -eq 0 ] || fail "node exited $rc"
  root="$(printf 'root:big_buck_bunny.mp4' | sha256sum | cut -d' ' -f1)"
  expected="update_settings username=dave tracker_host=127.0.0.1 tracker_port=6970
start_download 1
set_seeding $root true
change_username erin
disconnect"
  [ "$(cat "$WORK/journal")" = "$expected" ] || {
    echo "expected journal:"
    echo "$expected"
    fail "journal differs"
  }
fi
echo "tmux menu walk passed"
