#!/usr/bin/env bash
# The benchmark regression check: builds the measured binary (the
# release-native profile, which unwinds) and runs `lockstep bench --check`,
# which fails when any figure's ratio to its reference fell by more than
# 30% from the run recorded in docs/benchmarks.json, or when a panicking
# command takes the release server down.
#
# Not part of ./test.sh: it takes minutes and wants a quiet machine's
# attention, and timing does not belong in a test suite.
#
#   scripts/bench-check.sh                # every group
#   scripts/bench-check.sh --only serve   # some groups
set -euo pipefail
cd "$(dirname "$0")/.."
echo "bench-check: building target/release-native/lockstep (cargo --profile release-native)"
cargo build --quiet -p lockstep-cli --profile release-native
exec target/release-native/lockstep bench --check "$@"
