# Sourced by the shell integration tests: every background process they
# start goes into PIDS and is stopped by PID when the test exits (TERM, then
# KILL after 10 s); wait_for polls a condition with a bound.
PIDS=()
stop_started_processes() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_started_processes EXIT
wait_for() {  # wait_for WHAT COMMAND...: bounded poll (30 s) of a condition
  local what="$1"
  shift
  for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
  echo "timed out waiting for $what" >&2
  exit 1
}
