#!/usr/bin/env bash
# Peers on different machines with no address set-up (issue #12): a tracker,
# three seeders and a leecher, each on its own host (a network namespace on
# a bridge), every node with default settings except the tracker address.
# Once over IPv4 and once over IPv6: the leecher's copy must have the
# source's SHA-256, and the tracker must list each seeder at the address its
# announce came from with the default chunk port. A second node on one
# seeder host shows the default port falling back to a free one.
set -euo pipefail
source tests/integration/processes.sh
source tests/integration/netns.sh
netns_require_root

W="$TEST_TMPDIR/netns"
mkdir -p "$W"
head -c $((24 * 1024 * 1024 + 4321)) /dev/urandom >"$W/data.bin"
SHA="$(sha256sum "$W/data.bin" | cut -d' ' -f1)"

netns_bridge
netns_host tracker 1
for i in 1 2 3; do netns_host "seeder$i" "1$i"; done
netns_host leecher 20

listed_endpoints() {  # the chunk endpoints the tracker lists, sorted
  admin/cli --home "$1" tracker peers --json 2>/dev/null | grep -o 'tcp://[^"]*' | sort || true
}

host_of() {  # host_of FAMILY N: host N's address as an endpoint writes it
  if [ "$1" = 4 ]; then echo "10.77.0.$2"; else echo "[fd77::$2]"; fi
}

run_swarm() {
  local family="$1" tracker_host
  tracker_host="$(host_of "$family" 1)"
  local D="$W/$family"
  echo "--- IPv$family: tracker at $tracker_host"
  mkdir -p "$D/tracker"
  # Default bind (::, dual-stack) and port (6969).
  start_in_ns tracker tracker/tracker --home "$D/tracker" --port-file "$D/tracker/port"
  wait_for "tracker port" test -s "$D/tracker/port"
  local addr="$tracker_host:6969"
  for i in 1 2 3; do
    mkdir -p "$D/seeder$i/user/shared_files"
    cp "$W/data.bin" "$D/seeder$i/user/shared_files/data.bin"
    start_in_ns "seeder$i" peer/peer --home "$D/seeder$i" --tracker "$addr"
  done
  local want
  want="$(for i in 1 2 3; do echo "tcp://$(host_of "$family" "1$i"):6881"; done | sort)"
  if [ "$family" = 4 ]; then
    # A second node on seeder1's host: 6881 is taken there, so it takes a
    # free port, and is listed with it.
    start_in_ns seeder1 peer/peer --home "$D/second" --tracker "$addr"
    wait_for "second node's endpoint" test -s "$D/second/state/chunk_endpoint"
    local second_port
    second_port="$(sed 's/.*://' "$D/second/state/chunk_endpoint")"
    [ "$second_port" != 6881 ] || { echo "second node did not fall back" >&2; exit 1; }
    want="$(printf '%s\n' "$want" "tcp://$(host_of 4 11):$second_port" | sort)"
  fi
  all_listed() { [ "$(listed_endpoints "$D/tracker")" = "$want" ]; }
  wait_for "the tracker to list every node" all_listed
  listed_endpoints "$D/tracker"

  mkdir -p "$D/leecher"
  timeout 120 ip netns exec "${NETNS_PREFIX}leecher" \
    peer/peer --home "$D/leecher" --tracker "$addr" --download data.bin >"$D/leecher.json"
  cat "$D/leecher.json"
  grep -q '"state":"COMPLETED"' "$D/leecher.json"
  local got
  got="$(sha256sum "$D/leecher/user/downloads/data.bin" | cut -d' ' -f1)"
  [ "$got" = "$SHA" ] || { echo "IPv$family: SHA-256 $got, want $SHA" >&2; exit 1; }
  echo "IPv$family: downloaded 24 MiB across hosts, SHA-256 matches"
  stop_started_processes
  PIDS=()
}

run_swarm 4
run_swarm 6
echo "PASS"
