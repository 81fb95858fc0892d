#!/usr/bin/env bash
# The peer's core has no sockets: nothing in peer/content, peer/storage or
# peer/download includes ZeroMQ, gRPC or the socket API, or depends on
# //third_party:zmq (whose visibility also forbids it). The transport lives
# in peer/transfer, the wiring in peer/.
set -uo pipefail
status=0
for pkg in content storage download; do
  dir="peer/$pkg"
  [ -d "$dir" ] || { echo "missing $dir" >&2; exit 1; }
  hits="$(grep -nE '#include *[<"](zmq\.hpp|zmq\.h|sys/socket\.h|netinet/|arpa/inet\.h|grpcpp/)' "$dir"/*.h "$dir"/*.cc 2>/dev/null)"
  if [ -n "$hits" ]; then
    echo "$dir must not do network I/O:" >&2
    echo "$hits" >&2
    status=1
  fi
  if grep -q '//third_party:zmq' "$dir/BUILD.bazel"; then
    echo "$dir/BUILD.bazel depends on //third_party:zmq" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "peer/content, peer/storage and peer/download have no sockets"
exit "$status"
