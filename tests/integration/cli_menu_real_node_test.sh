#!/usr/bin/env bash
# The interactive CLI menu in tmux against REAL processes: a tracker, a seeder
# sharing a random file, and a fresh peer with no username (so the CLI's first
# run asks for one). tests/admin/cli_tmux_test.sh walks every menu option,
# downloads the file with the live progress bar, checks the verified SHA-256,
# and disconnects the peer (menu 5). Every process started here is stopped by
# PID on exit; every wait is bounded.
set -euo pipefail
W="$TEST_TMPDIR/realmenu"
mkdir -p "$W"
source tests/integration/processes.sh

tracker/tracker --home "$W/tracker" --host 127.0.0.1 --port 0 --port-file "$W/port" &
PIDS+=($!)
wait_for "tracker port" test -s "$W/port"
TRACKER="127.0.0.1:$(cat "$W/port")"

mkdir -p "$W/seeder/user/shared_files"
head -c $((3 * 1024 * 1024 + 12345)) /dev/urandom > "$W/seeder/user/shared_files/bunny-real.bin"
SHA="$(sha256sum "$W/seeder/user/shared_files/bunny-real.bin" | cut -d' ' -f1)"
peer/peer --home "$W/seeder" --tracker "$TRACKER" --username seeder --chunk-listen tcp://127.0.0.1:0 &
PIDS+=($!)
peer/peer --home "$W/me" --tracker "$TRACKER" --chunk-listen tcp://127.0.0.1:0 &
PIDS+=($!)
wait_for "peer admin socket" test -S "$W/me/state/admin.sock"
listed() { admin/cli --home "$W/me" --no-effects search bunny-real 2>/dev/null | grep -q "seeders 1"; }
wait_for "the tracker to list the seeder's file" listed

CLI_TMUX_SOCKET="$W/me/state/admin.sock" CLI_TMUX_SEARCH=bunny-real CLI_TMUX_SHA256="$SHA" \
  bash tests/admin/cli_tmux_test.sh
cmp "$W/seeder/user/shared_files/bunny-real.bin" "$W/me/user/downloads/bunny-real.bin"
grep -q "^username=" "$W/me/config/config.txt"
