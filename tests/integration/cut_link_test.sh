#!/usr/bin/env bash
# A seeder whose link is cut mid-chunk: seeder "far" is reached only through
# the test fault proxy (it announces the proxy's port with
# --chunk-public-endpoint), which resets every connection once 1.5 chunks
# went through and then refuses new ones; seeder "near" is direct. The
# leecher must drop the cut seeder, fetch its chunks from the other, and end
# with the source's SHA-256.
set -euo pipefail
W="$TEST_TMPDIR/cut"
mkdir -p "$W"
source tests/integration/processes.sh

tracker/tracker --home "$W/tracker" --host 127.0.0.1 --port 0 --port-file "$W/tracker.port" &
PIDS+=($!)
wait_for "tracker port" test -s "$W/tracker.port"
TRACKER="127.0.0.1:$(cat "$W/tracker.port")"

head -c $((8 * 1024 * 1024 + 777)) /dev/urandom >"$W/data.bin"
SHA="$(sha256sum "$W/data.bin" | cut -d' ' -f1)"
for s in far near; do
  mkdir -p "$W/$s/user/shared_files"
  cp "$W/data.bin" "$W/$s/user/shared_files/data.bin"
done

# "far" listens on a fixed loopback port found free now (the proxy needs a
# target before the seeder starts); the proxy listens on any port.
FAR_PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
tests/fault_proxy/fault_proxy --tcp --listen 127.0.0.1:0 --target "127.0.0.1:$FAR_PORT" \
  --cut-after-bytes $((256 * 1024 * 3 / 2)) --port-file "$W/proxy.port" 2>"$W/proxy.log" &
PIDS+=($!)
wait_for "proxy port" test -s "$W/proxy.port"
peer/peer --home "$W/far" --tracker "$TRACKER" --username far \
  --chunk-listen "tcp://127.0.0.1:$FAR_PORT" \
  --chunk-public-endpoint "tcp://127.0.0.1:$(cat "$W/proxy.port")" &
PIDS+=($!)
peer/peer --home "$W/near" --tracker "$TRACKER" --username near &
PIDS+=($!)

both_listed() {
  local peers
  peers="$(admin/cli --home "$W/tracker" tracker peers --json 2>/dev/null)" || return 1
  echo "$peers" | grep -q "tcp://127.0.0.1:$(cat "$W/proxy.port")" && echo "$peers" | grep -q near
}
wait_for "both seeders listed (far at the proxy's port)" both_listed

mkdir -p "$W/leecher"
timeout 120 peer/peer --home "$W/leecher" --tracker "$TRACKER" --download data.bin \
  --chunk-listen tcp://127.0.0.1:0 >"$W/leecher.json"
cat "$W/leecher.json"
grep -q '"state":"COMPLETED"' "$W/leecher.json"
grep -q "cut after" "$W/proxy.log" || { echo "the link was never cut: far served nothing" >&2; exit 1; }
got="$(sha256sum "$W/leecher/user/downloads/data.bin" | cut -d' ' -f1)"
[ "$got" = "$SHA" ] || { echo "SHA-256 $got, want $SHA" >&2; exit 1; }
echo "PASS: far seeder cut mid-chunk ($(cat "$W/proxy.log")), download completed from near"
