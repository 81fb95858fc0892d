#!/usr/bin/env bash
# Far, capped links between hosts (issue #12): a tracker, three seeders and a
# leecher, each on its own host (a network namespace on a bridge). Each
# seeder's chunk port is reached only through a link of 50 ms round trip
# capped at 100 Mbit/s each way: the fault proxy runs on the seeder's host in
# front of its chunk port, and the seeder announces the proxy's port as its
# public endpoint (the tracker still takes the address the announce came
# from). The kernel here has no netem, so the proxy makes the delay and the
# cap. The leecher's copy must have the source's SHA-256, and every seeder
# must have served part of it across its far link.
set -euo pipefail
source tests/integration/processes.sh
source tests/integration/netns.sh
netns_require_root

W="$TEST_TMPDIR/farlink"
mkdir -p "$W"
head -c $((16 * 1024 * 1024 + 777)) /dev/urandom >"$W/data.bin"
SHA="$(sha256sum "$W/data.bin" | cut -d' ' -f1)"

netns_bridge
netns_host tracker 1
for i in 1 2 3; do netns_host "seeder$i" "1$i"; done
netns_host leecher 20

mkdir -p "$W/tracker"
start_in_ns tracker tracker/tracker --home "$W/tracker" --port-file "$W/tracker/port"
wait_for "tracker port" test -s "$W/tracker/port"
ADDR="10.77.0.1:6969"
SEEDER_PIDS=()
for i in 1 2 3; do
  mkdir -p "$W/seeder$i/user/shared_files"
  cp "$W/data.bin" "$W/seeder$i/user/shared_files/data.bin"
  # The far link: 25 ms each way, 100 Mbit/s each way, on port 7000.
  start_in_ns "seeder$i" tests/fault_proxy/fault_proxy --tcp --listen "10.77.0.1$i:7000" \
    --target 127.0.0.1:6881 --delay-ms 25 --mbit 100 --port-file "$W/proxy$i.port"
  wait_for "proxy $i" test -s "$W/proxy$i.port"
  start_in_ns "seeder$i" peer/peer --home "$W/seeder$i" --tracker "$ADDR" \
    --chunk-listen tcp://127.0.0.1:6881 --chunk-public-endpoint "tcp://10.77.0.1$i:7000"
  SEEDER_PIDS+=("${PIDS[-1]}")
done
listed_endpoints() {
  admin/cli --home "$W/tracker" tracker peers --json 2>/dev/null | grep -o 'tcp://[^"]*' | sort || true
}
WANT="$(printf 'tcp://10.77.0.1%s:7000\n' 1 2 3)"
all_listed() { [ "$(listed_endpoints)" = "$WANT" ]; }
wait_for "the tracker to list every seeder at its far-link port" all_listed

mkdir -p "$W/leecher"
timeout 120 ip netns exec "${NETNS_PREFIX}leecher" \
  peer/peer --home "$W/leecher" --tracker "$ADDR" --download data.bin >"$W/leecher.json"
cat "$W/leecher.json"
grep -q '"state":"COMPLETED"' "$W/leecher.json"
GOT="$(sha256sum "$W/leecher/user/downloads/data.bin" | cut -d' ' -f1)"
[ "$GOT" = "$SHA" ] || { echo "SHA-256 $GOT, want $SHA" >&2; exit 1; }

# Every seeder served chunks across its far link (counters are written at stop).
# One SIGTERM stops a node within a bounded time (Leave is capped at 1 s).
for pid in "${SEEDER_PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${SEEDER_PIDS[@]}"; do wait "$pid" || true; done
for i in 1 2 3; do
  served="$(grep -o '"chunks_served":[0-9]*' "$W/seeder$i/state/counters.json" | tail -n 1 | cut -d: -f2)"
  echo "seeder $i served ${served:-0} chunks"
  [ "${served:-0}" -gt 0 ] || { echo "seeder $i served nothing across its far link" >&2; exit 1; }
done
echo "PASS: 16 MiB from 3 seeders behind 50 ms / 100 Mbit/s links, SHA-256 matches"
