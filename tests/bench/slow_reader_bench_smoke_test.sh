#!/bin/bash
# Runs the slow-reader benchmark small (4 attackers, 4 MiB file) so it
# cannot rot; checks the JSON line, not the figures.
set -euo pipefail
out="$(tests/bench/slow_reader_bench --attackers=4 --requests=20 --size-mib=4 --budget-mib=16 \
  --dir="$TEST_TMPDIR/bench")"
echo "$out"
/usr/bin/python3 - "$(echo "$out" | tail -n 1)" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
for key in ("seeder_peak_rss_mib", "rss_limit_mib", "undisturbed_s", "attacked_s", "time_ratio",
            "requests_throttled"):
    assert key in r, key
assert r["downloads_ok"] is True, r
# Every attacker completes the ZMTP handshake and sends all its requests.
assert r["attackers_connected"] == 4, r
assert r["undisturbed_s"] > 0 and r["attacked_s"] > 0, r
print("ok")
PY
