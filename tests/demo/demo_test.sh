#!/usr/bin/env bash
# Runs tools/demo.sh without a terminal against prebuilt binaries and checks
# that it reports a verified download.
set -euo pipefail
export PYTORRENT_BIN_DIR="$PWD"
# Unix socket paths are limited to 107 bytes and $TEST_TMPDIR can be longer,
# so the demo's homes (holding admin sockets) go under a short folder.
PYTORRENT_DEMO_DIR="$(mktemp -d /tmp/ptdemo.XXXXXX)"
export PYTORRENT_DEMO_DIR
trap 'rm -rf "$PYTORRENT_DEMO_DIR"' EXIT
export PYTORRENT_DEMO_SIZE_MIB=8
out="$TEST_TMPDIR/demo.out"
tools/demo.sh </dev/null >"$out" 2>&1 || { cat "$out"; exit 1; }
cat "$out"
want="$(sha256sum "$PYTORRENT_DEMO_DIR/pytorrent-demo.bin" | cut -d' ' -f1)"
grep -q "download sha256 $want" "$out"
grep -q "verified: the downloaded file matches the source" "$out"
