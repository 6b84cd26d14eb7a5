#!/usr/bin/env bash
# Runs units of Redis 7.0's own test suite (external mode) against a server
# and prints each unit's passed / failed counts.
#
#   tests/redis-suite/run.sh REDIS_CHECKOUT (lockstep|redis) PORT UNIT...
#   tests/redis-suite/run.sh ~/redis-7.0.15 lockstep 23751 unit/type/set unit/sort
#
# REDIS_CHECKOUT is a checkout of redis/redis at 7.0.15 (its runtest and
# tests/; tclsh must be installed). Each unit gets a fresh server:
# `target/debug/lockstep serve` (LOCKSTEP_BIN to override) or
# `redis-server`, both with `--enable-debug-command yes` as Redis's own runs
# start it. Tests that read the replication stream (SYNC, which the model
# does not serve) are skipped on both sides: their names are collected from
# the checkout at run time. Logs go to $OUT (default: a temporary directory).
set -u
checkout=$1 kind=$2 port=$3
shift 3
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${LOCKSTEP_BIN:-$here/target/debug/lockstep}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
skip=$out/skip-replication-stream.txt
# A test is skipped if its body attaches to the replication stream.
awk '
  match($0, /^[ \t]*test[ \t]+[{"][^}"]*[}"]/) {
    name = substr($0, RSTART, RLENGTH); sub(/^[ \t]*test[ \t]+[{"]/, "", name); sub(/[}"]$/, "", name)
  }
  /attach_to_replication_stream/ && name != "" && $0 !~ /proc / { print name }
' "$checkout"/tests/unit/*.tcl "$checkout"/tests/unit/type/*.tcl | sort -u > "$skip"
for unit in "$@"; do
  log=$out/$(echo "$unit" | tr / _).log
  if [ "$kind" = redis ]; then
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --enable-debug-command yes --dir "$out" >/dev/null 2>&1 &
  else
    "$bin" serve --port "$port" --enable-debug-command yes >/dev/null 2>&1 &
  fi
  server=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
  (cd "$checkout" && timeout 900 ./runtest --host 127.0.0.1 --port "$port" --single "$unit" \
    --skipfile "$skip" --timeout 60 --baseport $((port + 100)) >"$log" 2>&1)
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  sed -i 's/\x1b\[[0-9;]*m//g' "$log"
  echo "$unit passed=$(grep -c '^\[ok\]' "$log") failed=$(grep -c '^\[err\]' "$log")" \
    "aborted=$(grep -c '^\[exception\]\|^\[TIMEOUT\]' "$log")"
done
echo "logs: $out"
