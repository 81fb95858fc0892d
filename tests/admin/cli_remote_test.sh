#!/usr/bin/env bash
# The CLI against a node's TLS TCP admin listener: the token is required,
# checked, and the CA is verified; every failure is one clear line.
set -uo pipefail

CLI="admin/cli"
NODE="tests/admin/fake_node"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/ptremote.XXXXXX")"
NODE_PID=""
cleanup() {
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

tests/admin/make_test_cert "$WORK/cert.pem" "$WORK/key.pem" || fail "make_test_cert"
tests/admin/make_test_cert "$WORK/other.pem" "$WORK/other.key" || fail "make_test_cert"
TOKEN="tok-$RANDOM-$RANDOM-$RANDOM"
printf '%s\n' "$TOKEN" >"$WORK/token"
"$NODE" --socket "$WORK/admin.sock" --ready-file "$WORK/ready" --username dave \
  --tcp-address 127.0.0.1:0 --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --token-file "$WORK/token" --port-file "$WORK/port" 2>"$WORK/node.log" &
NODE_PID=$!
deadline=$((SECONDS + 30))  # bounded, generously for a loaded machine
until [ -f "$WORK/ready" ]; do
  if ! kill -0 "$NODE_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    fail "fake node did not start: $(cat "$WORK/node.log")"
  fi
  sleep 0.05
done
# An IP literal: a host name would go through c-ares, which leaks 10 bytes
# under LeakSanitizer (not ours); the certificate names 127.0.0.1 too.
ADDR="127.0.0.1:$(cat "$WORK/port")"

# expect CODE STDERR_SUBSTRING ARGS...: runs the CLI, checks exit code and stderr.
expect() {
  local want_rc="$1" want_err="$2"
  shift 2
  local rc
  timeout 20 "$CLI" "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  [ "$rc" -eq "$want_rc" ] || fail "cli $* exited $rc, want $want_rc; stderr: $(cat "$WORK/err")"
  if [ -n "$want_err" ]; then
    grep -qF -- "$want_err" "$WORK/err" || fail "cli $*: stderr lacks '$want_err': $(cat "$WORK/err")"
    [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "cli $*: more than one stderr line: $(cat "$WORK/err")"
  fi
  if grep -qF -- "$TOKEN" "$WORK/out" "$WORK/err"; then fail "token echoed"; fi
  return 0
}

unset PYTORRENT_ADMIN_TOKEN
expect 2 "--addr needs --token" --addr "$ADDR" --tls-ca "$WORK/cert.pem" status
PYTORRENT_ADMIN_TOKEN=wrong expect 1 "refused the token" --addr "$ADDR" --tls-ca "$WORK/cert.pem" status
expect 1 "refused the token" --addr "$ADDR" --tls-ca "$WORK/cert.pem" --token nope peers
PYTORRENT_ADMIN_TOKEN="$TOKEN" expect 3 "TLS handshake failed" --addr "$ADDR" --tls-ca "$WORK/other.pem" status
PYTORRENT_ADMIN_TOKEN="$TOKEN" expect 0 "" --addr "$ADDR" --tls-ca "$WORK/cert.pem" status
grep -qE "^username +dave$" "$WORK/out" || fail "status over TLS: $(cat "$WORK/out")"
PYTORRENT_ADMIN_TOKEN="$TOKEN" expect 0 "" --addr "$ADDR" --tls-ca "$WORK/cert.pem" --json files
grep -qF '"name":"holiday.jpg"' "$WORK/out" || fail "files over TLS"
expect 2 "" --addr "$ADDR" --socket "$WORK/admin.sock" status
expect 2 "" --addr "$ADDR" --tls-ca "$WORK/missing.pem" --token x status
[ -z "$(grep -F "$TOKEN" "$WORK/node.log")" ] || fail "token in the node's log"
echo "remote admin over TLS passed"
