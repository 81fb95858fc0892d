#!/usr/bin/env bash
# A peer that cannot start says why in one line on stderr and exits 1, never
# by a signal: a taken chunk port, an unwritable home, an unreadable or
# invalid config, a bad tracker address. Every run is bounded (timeout) and
# the one helper process (the port holder) is stopped by PID on exit.
set -euo pipefail
W="$TEST_TMPDIR/startup"
mkdir -p "$W"
source tests/integration/processes.sh

failures=0
# expect_start_failure WHAT PATTERN ARGS...: the peer exits 1 with exactly
# one stderr line matching PATTERN.
expect_start_failure() {
  local what="$1" pattern="$2"
  shift 2
  local rc=0
  timeout -s KILL 60 peer/peer --log-level off "$@" >"$W/out" 2>"$W/err" || rc=$?
  local lines
  lines="$(wc -l <"$W/err")"
  if [ "$rc" -ne 1 ]; then
    echo "FAIL $what: exit code $rc (want 1); stderr: $(cat "$W/err")" >&2
    failures=$((failures + 1))
  elif [ "$lines" -ne 1 ]; then
    echo "FAIL $what: $lines stderr lines (want 1): $(cat "$W/err")" >&2
    failures=$((failures + 1))
  elif ! grep -qE -- "$pattern" "$W/err"; then
    echo "FAIL $what: stderr does not name the problem ($pattern): $(cat "$W/err")" >&2
    failures=$((failures + 1))
  else
    echo "ok   $what: $(cat "$W/err")"
  fi
}

# A TCP port held by another process for the whole test.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(300)
' "$W/port" &
PIDS+=($!)
wait_for "the port holder" test -s "$W/port"
PORT="$(cat "$W/port")"

expect_start_failure "taken chunk port" "bind tcp://127.0.0.1:$PORT: .*[Aa]ddress already in use" \
  --home "$W/node-port" --tracker 127.0.0.1:9 --chunk-listen "tcp://127.0.0.1:$PORT"

# A home below a regular file cannot be created, even by root.
touch "$W/a-file"
expect_start_failure "unwritable home" "cannot create $W/a-file/home" \
  --home "$W/a-file/home" --tracker 127.0.0.1:9

# A config that cannot be read (a folder), and one with a bad value.
mkdir -p "$W/config-is-a-folder"
expect_start_failure "unreadable config" "config: .*config-is-a-folder" \
  --home "$W/node-config" --config "$W/config-is-a-folder"
printf 'tracker_port=99999\n' >"$W/bad-config.txt"
expect_start_failure "invalid config" "bad-config.txt: tracker_port" \
  --home "$W/node-config" --config "$W/bad-config.txt"

# Bad tracker addresses: no port, a port out of range, a host that is no
# host name, and the same in the config file.
expect_start_failure "tracker without port" "--tracker: .*must be HOST:PORT" \
  --home "$W/node-tracker" --tracker 127.0.0.1
expect_start_failure "tracker port out of range" "--tracker: .*the port must be 1..65535" \
  --home "$W/node-tracker" --tracker 127.0.0.1:70000
expect_start_failure "tracker host with a space" "--tracker: .*is not a host" \
  --home "$W/node-tracker" --tracker "bad host:6969"
printf 'tracker_host=bad host\n' >"$W/bad-host.txt"
expect_start_failure "tracker host in config" "bad-host.txt: tracker_host: .*is not a host" \
  --home "$W/node-tracker" --config "$W/bad-host.txt"

[ "$failures" -eq 0 ] || { echo "$failures start-up failure cases failed" >&2; exit 1; }
echo "PASS: every start-up failure is one line and exit code 1"
