#!/usr/bin/env bash
# The CLI can reach a node before its first announce completes: the peer
# opens its admin socket first and writes state/chunk_endpoint (its readiness
# mark) only after the first scan was announced. The tracker here is a UDP
# socket that never answers, so the first announce takes its retries (about
# 4.5 s) and the CLI must get through during them. Processes started here
# are stopped by PID on exit; every wait is bounded.
set -euo pipefail
W="$TEST_TMPDIR/before-ready"
mkdir -p "$W"
source tests/integration/processes.sh

# A silent "tracker": bound, never answers, gone when the test ends.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(120)
' "$W/port" &
PIDS+=($!)
wait_for "the silent tracker's port" test -s "$W/port"

peer/peer --home "$W/node" --tracker "127.0.0.1:$(cat "$W/port")" --username early \
  --chunk-listen tcp://127.0.0.1:0 &
PIDS+=($!)
answered=""
for _ in $(seq 300); do
  if out="$(admin/cli --home "$W/node" --no-effects status 2>/dev/null)"; then
    answered=yes
    break
  fi
  sleep 0.05
done
[ -n "$answered" ] || { echo "the CLI never reached the node" >&2; exit 1; }
if [ -e "$W/node/state/chunk_endpoint" ]; then
  echo "the node was already past its first announce when the CLI got through" >&2
  exit 1
fi
grep -q "username *early" <<<"$out" || { echo "unexpected status: $out" >&2; exit 1; }
grep -q "(not reachable)" <<<"$out" || { echo "unexpected status: $out" >&2; exit 1; }
# And the readiness mark does come once the first announce gave up.
wait_for "state/chunk_endpoint" test -s "$W/node/state/chunk_endpoint"
echo "PASS: the CLI reached the node before its first announce completed"
