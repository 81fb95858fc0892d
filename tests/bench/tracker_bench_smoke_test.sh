#!/bin/bash
# Runs the tracker benchmark for about a second with few peers, in both
# modes, so it cannot rot; checks the JSON line, not the speed.
set -euo pipefail
check() {
  local mode="$1"
  shift
  local out line
  out="$(tests/bench/tracker_bench --seconds=1 --clients=2 --swarms=10 --peers=200 --window=4 "$@")"
  echo "$out"
  line="$(echo "$out" | tail -n 1)"
  /usr/bin/python3 - "$line" "$mode" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
mode = sys.argv[2]
for key in ("announces_per_s", "datagrams_per_s", "p50_us", "p99_us", "errors",
            "tracker_peak_rss_mib", "bytes_per_peer"):
    assert key in r, key
assert r["mode"] == mode, r
assert r["announces_per_s"] > 0, r
assert r["registered_peers"] == 200, r
assert r["errors"] == 0, r
assert r["tracker_exit"] == 0, r
assert 0 < r["p50_us"] <= r["p99_us"], r
assert r["tracker_peak_rss_mib"] > 0, r
if mode == "announce_with_peers":
    # One datagram per announce, and its reply lists the swarm's other
    # peers (20 per swarm here, at most 10 asked for).
    assert r["datagrams_per_s"] < 1.01 * r["announces_per_s"] + 10, r
    assert 5 <= r["peers_per_reply"] <= 10, r
else:
    # An announce and a get_file_peers each.
    assert r["datagrams_per_s"] > 1.9 * r["announces_per_s"], r
print("ok")
PY
}
check announce_with_peers
check separate_get_peers --separate-get-peers
# Ids live 1-2 s here: every client must renew its id during a 3 s run
# (connect again at 90% of the lifetime) without a single error.
out="$(tests/bench/tracker_bench --seconds=3 --clients=2 --swarms=10 --peers=200 --window=4 \
  --connection-id-window-s=1)"
echo "$out"
/usr/bin/python3 - "$(echo "$out" | tail -n 1)" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["errors"] == 0, r
assert r["connects_during_load"] >= 2, r
print("ok")
PY
# A tracker fleet: two instances on one real redis-server, then the same
# load on one in-memory tracker in the same run (the reference).
out="$(tests/bench/tracker_bench --seconds=1 --clients=2 --swarms=10 --peers=200 --window=4 \
  --store=redis --instances=2)"
echo "$out"
/usr/bin/python3 - "$(echo "$out" | tail -n 1)" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["store"] == "redis" and r["instances"] == 2, r
assert r["errors"] == 0 and r["reference_errors"] == 0, r
assert r["registered_peers"] == 200, r
assert r["announces_per_s"] > 0 and r["reference_announces_per_s"] > 0, r
assert 5 <= r["peers_per_reply"] <= 10, r
assert r["redis_bytes_per_peer"] > 0, r
assert r["redis_cpu_us_per_announce"] > 0 and r["tracker_cpu_us_per_announce"] > 0, r
assert r["ratio_to_reference"] > 0, r
assert r["tracker_exit"] == 0, r
print("ok")
PY
