#!/bin/bash
# Smoke test: the swarm benchmark runs end to end on a tiny file and prints
# its JSON line with sha256_ok true, directly and with each seeder behind a
# far link (the fault proxy: 20 ms round trip, 200 Mbit/s).
set -euo pipefail
check() {
  echo "$1"
  last=$(echo "$1" | tail -n 1)
  case "$last" in
    "{\"bytes\":4194304,"*"\"sha256_ok\":true"*) ;;
    *) echo "unexpected output: $last" >&2; exit 1 ;;
  esac
}
check "$(tests/bench/swarm_bench --size=4MiB --seeders=2 --ceiling-mib=16)"
far=$(tests/bench/swarm_bench --size=4MiB --seeders=2 --ceiling-mib=16 --link-rtt-ms=20 --link-mbit=200)
check "$far"
case "$far" in
  *"\"link_rtt_ms\":20,\"link_mbit\":200,"*) ;;
  *) echo "the link options are not reported: $far" >&2; exit 1 ;;
esac
