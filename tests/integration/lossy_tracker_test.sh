#!/usr/bin/env bash
# The tracker path through 30% loss and 100 ms delay each way (plus some
# duplication and reordering), with the test fault proxy between a real peer
# and a real tracker on loopback: the peer's searches (each a tracker round
# trip through its 8 attempts) succeed, and the peer stays registered
# through many announce rounds (the tracker expires it after 2 missed
# intervals).
#
# An attempt needs its request and its reply through: 0.7^2 = 0.49, so a
# search fails after its 8 attempts with probability 0.51^8 = 0.0046. Over
# the ~30 searches of a run, two failures are allowed (three or more: about
# 4 runs in 10,000). "Every search succeeds" failed about 1 run in 10.
set -euo pipefail
W="$TEST_TMPDIR/lossy"
mkdir -p "$W/seeder/user/shared_files"
source tests/integration/processes.sh

tracker/tracker --home "$W/tracker" --host 127.0.0.1 --port 0 --port-file "$W/tracker.port" \
  --announce-interval-s 4 &
PIDS+=($!)
wait_for "tracker port" test -s "$W/tracker.port"
tests/fault_proxy/fault_proxy --listen 127.0.0.1:0 --target "127.0.0.1:$(cat "$W/tracker.port")" \
  --loss 0.3 --delay-ms 100 --duplicate 0.05 --reorder 0.1 --seed "$RANDOM" \
  --port-file "$W/proxy.port" &
PIDS+=($!)
wait_for "proxy port" test -s "$W/proxy.port"

head -c 300000 /dev/urandom >"$W/seeder/user/shared_files/lossy.bin"
peer/peer --home "$W/seeder" --tracker "127.0.0.1:$(cat "$W/proxy.port")" --username lossy \
  --chunk-listen tcp://127.0.0.1:0 --announce-interval-s 2 &
PIDS+=($!)

registered() { admin/cli --home "$W/tracker" tracker peers --json 2>/dev/null | grep -q lossy; }
# Registration itself goes through the loss: allow several rounds.
for _ in $(seq 300); do registered && break; sleep 0.1; done
registered || { echo "the peer never registered through the lossy path" >&2; exit 1; }

# 20 s (10 announce rounds, 2.5 expiry periods): listed at every look, and
# searches through the loss succeed (two failures allowed, see above).
searches=0
failed_searches=0
end=$((SECONDS + 20))
while [ "$SECONDS" -lt "$end" ]; do
  registered || { echo "the peer expired despite retries" >&2; exit 1; }
  searches=$((searches + 1))
  if ! admin/cli --home "$W/seeder" --json search lossy >"$W/search.json"; then
    failed_searches=$((failed_searches + 1))
    echo "search $searches failed through the lossy path ($failed_searches so far)" >&2
    [ "$failed_searches" -le 2 ] || { cat "$W/search.json" >&2; exit 1; }
    continue
  fi
  grep -q lossy.bin "$W/search.json" || { echo "search did not find the file" >&2; exit 1; }
done
[ "$searches" -ge 5 ] || { echo "only $searches searches ran in 20 s" >&2; exit 1; }
echo "PASS: $searches searches ($failed_searches failed) through 30% loss and 100 ms each way; peer registered throughout"
