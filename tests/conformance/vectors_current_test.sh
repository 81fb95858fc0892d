#!/usr/bin/env bash
# Fails when vectors.txt differs from what make_vectors.py writes (someone
# edited one without the other): regenerate with the command in make_vectors.py.
set -euo pipefail
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
/usr/bin/python3 tests/conformance/make_vectors.py > "$TEST_TMPDIR/vectors.txt"
diff -u tests/conformance/vectors.txt "$TEST_TMPDIR/vectors.txt"
