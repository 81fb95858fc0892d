#!/bin/bash
# Smoke test: the swarm benchmark runs end to end on a tiny file and prints
# its JSON line with sha256_ok true.
set -euo pipefail
out=$(tests/bench/swarm_bench --size=4MiB --seeders=2 --ceiling-mib=16)
echo "$out"
last=$(echo "$out" | tail -n 1)
case "$last" in
  "{\"bytes\":4194304,"*"\"sha256_ok\":true"*) exit 0 ;;
  *) echo "unexpected output: $last" >&2; exit 1 ;;
esac
