#!/usr/bin/env bash
# The demo swarm: a tracker, three seeders sharing generated sample files, and
# your own peer, all on 127.0.0.1 with OS-chosen ports. With a terminal it
# opens the CLI attached to your peer; without one (stdin not a TTY) it runs
# a scripted download, prints what it did and the verified SHA-256, and exits.
# Every process it started is stopped on exit, by PID. The background
# processes (tracker, seeders, your peer) write to log files in the demo
# folder, never to your terminal; the demo says where at start and at exit.
#
# Environment: PYTORRENT_DEMO_DIR (default ./demo-home, recreated each run),
# PYTORRENT_DEMO_SIZE_MIB (size of the shared sample file, default 64),
# PYTORRENT_BIN_DIR (use tracker/tracker, peer/peer, admin/cli from there
# instead of building).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="${PYTORRENT_DEMO_DIR:-$ROOT/demo-home}"
SIZE_MIB="${PYTORRENT_DEMO_SIZE_MIB:-64}"
SAMPLE="pytorrent-demo.bin"

# Colour only when stderr is a terminal: pipes and files get plain text.
if [ -t 2 ]; then
  say() { printf '\033[1;35m[demo]\033[0m %s\n' "$*" >&2; }
else
  say() { printf '[demo] %s\n' "$*" >&2; }
fi

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    # Bounded: a process that ignores SIGTERM for 5 s is killed.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
LOGS=""
on_exit() {
  local rc=$?
  cleanup
  [ -n "$LOGS" ] && say "logs of the tracker and the peers: $LOGS"
  return "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

wait_for_file() {  # wait_for_file PATH WHAT: bounded wait for a file to appear
  for _ in $(seq 300); do
    [ -s "$1" ] || [ -S "$1" ] && return 0
    sleep 0.1
  done
  say "timed out waiting for $2 ($1)"
  exit 1
}

if [ -n "${PYTORRENT_BIN_DIR:-}" ]; then
  # Prebuilt binaries (the demo's own test runs it this way, inside Bazel).
  BIN="$PYTORRENT_BIN_DIR"
else
  say "building tracker, peer and CLI (bazel, the first build takes a few minutes)"
  (cd "$ROOT" && bazel build -c opt //tracker //peer //admin:cli) >&2 || {
    echo "demo: 'bazel build -c opt //tracker //peer //admin:cli' failed -- the compiler's message is above" >&2
    exit 1
  }
  BIN="$(cd "$ROOT" && bazel info -c opt bazel-bin 2>/dev/null)"
fi
TRACKER="$BIN/tracker/tracker"
PEER="$BIN/peer/peer"
CLI="$BIN/admin/cli"

rm -rf "$DEMO"
LOGS="$DEMO/logs"
mkdir -p "$LOGS"
say "demo folder: $DEMO"
say "the tracker and the peers write their output to $LOGS/"

"$TRACKER" --home "$DEMO/tracker" --host 127.0.0.1 --port 0 \
  --port-file "$DEMO/tracker.port" >"$LOGS/tracker.log" 2>&1 &
PIDS+=($!)
wait_for_file "$DEMO/tracker.port" "the tracker"
TRACKER_ADDR="127.0.0.1:$(cat "$DEMO/tracker.port")"
say "tracker on udp://$TRACKER_ADDR"

say "generating a ${SIZE_MIB} MiB sample file shared by three seeders"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$DEMO/$SAMPLE"
names=(ada grace linus)
poems=("Bits that travel far, verified, arrive home." \
  "Three seeders sing; one leecher listens, whole." \
  "Chunk by chunk the river fills the lake.")
for i in 0 1 2; do
  home="$DEMO/seeder-${names[$i]}"
  mkdir -p "$home/user/shared_files"
  cp "$DEMO/$SAMPLE" "$home/user/shared_files/$SAMPLE"
  printf '%s\n' "${poems[$i]}" > "$home/user/shared_files/poem-${names[$i]}.txt"
  "$PEER" --home "$home" --tracker "$TRACKER_ADDR" --username "${names[$i]}" \
    --chunk-listen tcp://127.0.0.1:0 >"$LOGS/seeder-${names[$i]}.log" 2>&1 &
  PIDS+=($!)
done

ME="$DEMO/you"
mkdir -p "$ME/user/shared_files"
printf 'Hello from your own node.\n' > "$ME/user/shared_files/hello.txt"
if [ -t 0 ] && [ -t 1 ]; then
  # Interactive: the CLI's first run asks for your username.
  "$PEER" --home "$ME" --tracker "$TRACKER_ADDR" --chunk-listen tcp://127.0.0.1:0 \
    >"$LOGS/you.log" 2>&1 &
else
  "$PEER" --home "$ME" --tracker "$TRACKER_ADDR" --username you --chunk-listen tcp://127.0.0.1:0 \
    >"$LOGS/you.log" 2>&1 &
fi
PIDS+=($!)
for n in "${names[@]}"; do wait_for_file "$DEMO/seeder-$n/state/admin.sock" "seeder $n"; done
wait_for_file "$ME/state/admin.sock" "your peer"

say "waiting until the tracker sees all three seeders of $SAMPLE"
for _ in $(seq 300); do
  if "$CLI" --home "$ME" --no-effects search "$SAMPLE" 2>/dev/null | grep -q "seeders 3"; then
    break
  fi
  sleep 0.1
done

if [ -t 0 ] && [ -t 1 ]; then
  say "opening the CLI attached to your peer (menu 5 disconnects; Ctrl-C ends the demo)"
  "$CLI" --home "$ME" || true
  exit 0
fi

say "no terminal: running a scripted download of $SAMPLE"
"$CLI" --home "$ME" --no-effects search "$SAMPLE"
"$CLI" --home "$ME" --no-effects download "$SAMPLE" --wait
GOT="$ME/user/downloads/$SAMPLE"
want="$(sha256sum "$DEMO/$SAMPLE" | cut -d' ' -f1)"
got="$(sha256sum "$GOT" | cut -d' ' -f1)"
echo "source   sha256 $want  $DEMO/$SAMPLE"
echo "download sha256 $got  $GOT"
if [ "$want" != "$got" ]; then
  say "MISMATCH: the download does not match the source"
  exit 1
fi
say "verified: the downloaded file matches the source (SHA-256 $got)"
