#!/usr/bin/env bash
# Fails when docs/proto-reference.md differs from what the proto comments
# generate today (see docs/BUILD.bazel for the command that refreshes it).
set -euo pipefail
diff -u docs/proto-reference.md docs/proto-reference.generated.md
