#!/usr/bin/env bash
# Runs a Python interop test (default tests/interop/interop_test.py; the
# sh_test's args may name another) with Debian's python3 (which has grpc,
# protobuf and zmq); the python3 first on PATH may be another build without
# them.
set -euo pipefail
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 "${1:-tests/interop/interop_test.py}"
