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
# Unix socket paths are limited to 108 bytes; TEST_TMPDIR can be long.
SOCKDIR="$(mktemp -d /tmp/ptgold.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$SOCKDIR"
}
trap cleanup EXIT

# start_node NAME: starts a fake node with socket $SOCKDIR/NAME.sock.
start_node() {
  local name="$1"
  rm -f "$SOCKDIR/$name.ready"
  "$NODE" --socket "$SOCKDIR/$name.sock" --ready-file "$SOCKDIR/$name.ready" \
    --username dave --tick-ms 20 --tick-bytes 1048576 2>>"$TMP/$name.node.log" &
  PIDS+=($!)
  for _ in $(seq 100); do  # bounded: 10 s
    [ -f "$SOCKDIR/$name.ready" ] && return 0
    sleep 0.1
  done
  echo "fake node $name did not start" >&2
  exit 1
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
  for _ in $(seq 100); do [ -S "$sock" ] || break; sleep 0.1; done
  run "$out" "$sock" "${j[@]}" status
}

start_node menu
# The interactive menu with piped input and output: plain text, no effects.
printf '1\n\n2\n\n3\nreadme\n1\nn\n\n6\n\n9\nq\n' |
  timeout 20 "$CLI" --socket "$SOCKDIR/menu.sock" >"$TMP/menu.txt" 2>&1
echo "[exit $?]" >>"$TMP/menu.txt"

start_node text
session "$TMP/text.txt" "$SOCKDIR/text.sock"
start_node json
session "$TMP/json.txt" "$SOCKDIR/json.sock" --json

# The tracker's admin plane.
"$NODE" --tracker --socket "$SOCKDIR/tracker.sock" --ready-file "$SOCKDIR/tracker.ready" \
  2>>"$TMP/tracker.node.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -f "$SOCKDIR/tracker.ready" ] && break; sleep 0.1; done
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

if [ -n "${UPDATE_GOLDEN:-}" ]; then
  cp "$TMP/text.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_text.txt"
  cp "$TMP/json.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_json.txt"
  cp "$TMP/menu.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_menu_pipe.txt"
  cp "$TMP/tracker.txt" "$BUILD_WORKSPACE_DIRECTORY/$GOLDEN/cli_tracker.txt"
  echo "golden files updated"
  exit 0
fi

status=0
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
