#!/bin/bash
# Runs the tracker benchmark for about a second with few peers so it cannot
# rot; checks the JSON line, not the speed.
set -euo pipefail
out="$(tests/bench/tracker_bench --seconds=1 --clients=2 --swarms=10 --peers=200 --window=4)"
echo "$out"
line="$(echo "$out" | tail -n 1)"
/usr/bin/python3 - "$line" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
for key in ("announces_per_s", "p50_us", "p99_us", "errors", "tracker_peak_rss_mib"):
    assert key in r, key
assert r["announces_per_s"] > 0, r
assert r["registered_peers"] == 200, r
assert r["errors"] == 0, r
assert r["tracker_exit"] == 0, r
assert 0 < r["p50_us"] <= r["p99_us"], r
assert r["tracker_peak_rss_mib"] > 0, r
print("ok")
PY
