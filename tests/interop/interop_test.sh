#!/usr/bin/env bash
# Runs the Python interop test with Debian's python3 (which has grpc and
# protobuf); the python3 first on PATH may be another build without them.
set -euo pipefail
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 tests/interop/interop_test.py
