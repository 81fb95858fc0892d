#!/usr/bin/env bash
# Golden non-TTY output of every CLI subcommand, plain and --json, against the
# fake node (tests/admin/fake_node) served over a real Unix socket.
#
# Regenerate the golden files after an intended change:
#   UPDATE_GOLDEN=1 bazel run //tests/admin:cli_golden_test
set -uo pipefail

CLI="admin/cli"
NODE="tests/admin/fake_node"
GOLDEN="tests/admin/golden"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
# Deliberately longer than a Unix socket path may be (108 bytes): the node
# and the CLI reach sockets through a /proc/self/fd alias of their folder.
SOCKDIR="$(mktemp -d "$TMP/ptgold-$(printf 'x%.0s' $(seq 100)).XXXXXX")"
WAIT_S=30  # every wait is bounded, generously for a loaded machine
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$SOCKDIR"
}
trap cleanup EXIT

# wait_ready PID FILE WHAT: waits (bounded) until FILE exists.
wait_ready() {
  local deadline=$((SECONDS + WAIT_S))
  until [ -f "$2" ]; do
    if ! kill -0 "$1" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "$3 did not start within ${WAIT_S}s" >&2
      exit 1
    fi
    sleep 0.05
  done
}

# start_node NAME [SOCKET]: starts a fake node with socket SOCKET (default
# $SOCKDIR/NAME.sock).
start_node() {
  local name="$1" sock="${2:-$SOCKDIR/$1.sock}"
  rm -f "$SOCKDIR/$name.ready"
  "$NODE" --socket "$sock" --ready-file "$SOCKDIR/$name.ready" \
    --username dave --tick-ms 20 --tick-bytes "${TICK_BYTES:-1048576}" 2>>"$TMP/$name.node.log" &
  PIDS+=($!)
  wait_ready "$!" "$SOCKDIR/$name.ready" "fake node $name"
}

# run OUT SOCKET ARGS...: appends the command, its stdout, stderr and exit code.
run() {
  local out="$1" sock="$2"
  shift 2
  local stdout stderr rc
  stdout="$(timeout 20 "$CLI" --socket "$sock" "$@" 2>"$TMP/stderr")"
  rc=$?
  stderr="$(sed "s|$SOCKDIR|<DIR>|g" "$TMP/stderr")"
  {
    echo "\$ cli $*"
    [ -n "$stdout" ] && printf '%s\n' "$stdout"
    [ -n "$stderr" ] && printf '%s\n' "$stderr" | sed 's/^/stderr: /'
    echo "[exit $rc]"
  } >>"$out"
}

session() {
  local out="$1" sock="$2"
  shift 2
  local j=("$@")  # extra flags (--json or nothing)
  : >"$out"
  run "$out" "$sock" "${j[@]}" status
  run "$out" "$sock" "${j[@]}" peers
  run "$out" "$sock" files "${j[@]}"
  run "$out" "$sock" "${j[@]}" search bunny
  run "$out" "$sock" "${j[@]}" search zzz
  run "$out" "$sock" "${j[@]}" downloads
  run "$out" "$sock" "${j[@]}" download readme.md
  run "$out" "$sock" "${j[@]}" download readme.md --wait
  run "$out" "$sock" download big_buck_bunny.mp4 --wait "${j[@]}"
  run "$out" "$sock" "${j[@]}" downloads
  # A download that waits for peers nobody reaches: the reason and the
  # peers' states under the table.
  run "$out" "$sock" "${j[@]}" download stalled.iso
  run "$out" "$sock" "${j[@]}" downloads
  run "$out" "$sock" "${j[@]}" download nope.bin
  run "$out" "$sock" "${j[@]}" download ../etc/passwd
  run "$out" "$sock" "${j[@]}" cancel 1
  run "$out" "$sock" "${j[@]}" cancel 99
  run "$out" "$sock" "${j[@]}" cancel 0
  run "$out" "$sock" "${j[@]}" share /srv/music/song.ogg
  run "$out" "$sock" "${j[@]}" share /srv/music/song.ogg
  run "$out" "$sock" "${j[@]}" rename "bad name"
  run "$out" "$sock" "${j[@]}" rename erin
  run "$out" "$sock" "${j[@]}" status
  run "$out" "$sock" "${j[@]}" search
  run "$out" "$sock" "${j[@]}" disconnect
  # The node is gone: one clear line, exit 3.
  local deadline=$((SECONDS + WAIT_S))
  while [ -S "$sock" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
  run "$out" "$sock" "${j[@]}" status
}

start_node menu
# The interactive menu with piped input and output: plain text, no effects.
# The finished bar shows the node's own average (bytes received / elapsed
# time of the download), the figure the downloads table shows too.
printf '1\n\n2\n\n3\nreadme\n1\nn\n\n6\n\n9\nq\n' |
  timeout 20 "$CLI" --socket "$SOCKDIR/menu.sock" >"$TMP/menu.txt" 2>&1
echo "[exit $?]" >>"$TMP/menu.txt"

# A download that completes before the CLI's first progress update (the
# fake node delivers the whole file in its first step): the finished bar's
# average is the downloads table's, never "0 B/s".
TICK_BYTES=$((1 << 40)) start_node fast
printf '3\nbunny\n1\nn\n\n6\n\nq\n' |
  timeout 20 "$CLI" --socket "$SOCKDIR/fast.sock" >"$TMP/fast.txt" 2>&1
fast_bar="$(grep -oE '100\.0%  avg [0-9.]+ [kMGT]?B/s' "$TMP/fast.txt" | head -n 1)"
fast_rate="${fast_bar#*avg }"
fast_row="$(grep -E '^ *[0-9]+ +big_buck_bunny' "$TMP/fast.txt" | head -n 1)"
if [ -z "$fast_rate" ] || [ "$fast_rate" = "0 B/s" ] || ! grep -qF "$fast_rate" <<<"$fast_row"; then
  echo "fast download: bar '$fast_bar' vs downloads row '$fast_row'" >&2
  cat "$TMP/fast.txt" >&2
  exit 1
fi

start_node text
session "$TMP/text.txt" "$SOCKDIR/text.sock"
start_node json
session "$TMP/json.txt" "$SOCKDIR/json.sock" --json

# The tracker's admin plane.
"$NODE" --tracker --socket "$SOCKDIR/tracker.sock" --ready-file "$SOCKDIR/tracker.ready" \
  2>>"$TMP/tracker.node.log" &
PIDS+=($!)
wait_ready "$!" "$SOCKDIR/tracker.ready" "fake tracker"
T="$SOCKDIR/tracker.sock"
out="$TMP/tracker.txt"
: >"$out"
for j in "" "--json"; do
  run "$out" "$T" $j tracker stats
  run "$out" "$T" $j tracker swarms
  run "$out" "$T" tracker peers $j
done
run "$out" "$T" tracker evict a0a0000000000002
run "$out" "$T" tracker evict a0a0000000000002
run "$out" "$T" tracker evict zz
run "$out" "$T" tracker peers
run "$out" "$T" tracker
run "$out" "$T" status

status=0
# --home whose state/admin.sock path is > 150 bytes; a home that does not
# exist is "cannot reach" (exit 3), like a node that is not running.
HOMEDIR="$SOCKDIR/home-$(printf 'h%.0s' $(seq 30))"
mkdir -p "$HOMEDIR/state"
start_node home "$HOMEDIR/state/admin.sock"
if [ "${#HOMEDIR}" -le 150 ]; then
  echo "home path is only ${#HOMEDIR} bytes" >&2
  status=1
fi
home_out="$(timeout 20 "$CLI" --home "$HOMEDIR" status 2>&1)"
home_rc=$?
sock_out="$(timeout 20 "$CLI" --socket "$HOMEDIR/state/admin.sock" status 2>&1)"
if [ "$home_rc" -ne 0 ] || [ "$home_out" != "$sock_out" ] || ! grep -q dave <<<"$home_out"; then
  echo "cli --home LONG status: exit $home_rc: $home_out (--socket gave: $sock_out)" >&2
  status=1
fi
miss_err="$(timeout 20 "$CLI" --home "$HOMEDIR/missing" status 2>&1 >/dev/null)"
miss_rc=$?
if [ "$miss_rc" -ne 3 ] ||
  ! grep -qF "cli: cannot reach the node at unix:$HOMEDIR/missing/state/admin.sock" <<<"$miss_err"; then
  echo "cli --home MISSING status: exit $miss_rc: $miss_err" >&2
  status=1
fi

if [ -n "${UPDATE_GOLDEN:-}" ]; then
  cp "$TMP/text.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_text.txt"
  cp "$TMP/json.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_json.txt"
  cp "$TMP/menu.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_menu_pipe.txt"
  cp "$TMP/tracker.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_tracker.txt"
  echo "golden files updated"
  exit 0
fi

diff -u "$GOLDEN/cli_text.txt" "$TMP/text.txt" || status=1
diff -u "$GOLDEN/cli_json.txt" "$TMP/json.txt" || status=1
diff -u "$GOLDEN/cli_menu_pipe.txt" "$TMP/menu.txt" || status=1
diff -u "$GOLDEN/cli_tracker.txt" "$TMP/tracker.txt" || status=1
# Not a terminal: no escape sequences at all.
if grep -q $'\033' "$TMP/text.txt" "$TMP/json.txt" "$TMP/menu.txt" "$TMP/tracker.txt"; then
  echo "escape sequences in non-TTY output" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "golden output matches"
exit "$status"
