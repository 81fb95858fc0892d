#!/usr/bin/env bash
# Runs tools/demo.sh without a terminal against prebuilt binaries and checks
# that it reports a verified download.
set -euo pipefail
export PYTORRENT_BIN_DIR="$PWD"
# The homes (and their admin sockets) live under $TEST_TMPDIR, however long
# its path: peers bind and the CLI dials through /proc/self/fd/<folder fd>.
# tools/demo.sh stops every process it started (by PID) when it exits.
PYTORRENT_DEMO_DIR="$TEST_TMPDIR/demo"
export PYTORRENT_DEMO_DIR
export PYTORRENT_DEMO_SIZE_MIB=8
out="$TEST_TMPDIR/demo.out"
tools/demo.sh </dev/null >"$out" 2>&1 || { cat "$out"; exit 1; }
cat "$out"
want="$(sha256sum "$PYTORRENT_DEMO_DIR/pytorrent-demo.bin" | cut -d' ' -f1)"
grep -q "download sha256 $want" "$out"
grep -q "verified: the downloaded file matches the source" "$out"
# Output that is not a terminal carries no colour codes.
if grep -q $'\033' "$out"; then echo "colour codes in piped output" >&2; exit 1; fi
# The background processes wrote to log files, and the demo said where, at
# start and at exit.
grep -qF "the tracker and the peers write their output to $PYTORRENT_DEMO_DIR/logs/" "$out"
grep -qF "logs of the tracker and the peers: $PYTORRENT_DEMO_DIR/logs" "$out"
test -f "$PYTORRENT_DEMO_DIR/logs/tracker.log"
for n in ada grace linus you; do test -f "$PYTORRENT_DEMO_DIR/logs/$n.log" ||
  test -f "$PYTORRENT_DEMO_DIR/logs/seeder-$n.log"; done
