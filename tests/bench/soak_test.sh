#!/bin/bash
# The soak benchmark, smaller: after 20 downloads, 40 more (one at a time,
# then 8 at a time) and 2 large ones leave the node's threads, descriptors
# and RSS within the bounds soak_bench states (it exits 1 otherwise).
set -euo pipefail
status=0
out=$(tests/bench/soak_bench --small-files=60 --checkpoint=20 --large-files=2 --large-mib=8) ||
  status=$?
echo "$out"
[ "$status" -eq 0 ] || { echo "soak_bench exited with $status" >&2; exit 1; }
last=$(echo "$out" | tail -n 1)
case "$last" in
  *"\"failed\":0,"*"\"within_bounds\":true,\"leecher_alive\":true}") exit 0 ;;
  *) echo "unexpected output: $last" >&2; exit 1 ;;
esac
