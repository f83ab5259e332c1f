#!/usr/bin/env bash
# Regression guard (CTest label bench, run by tests/run.sh; under a minute): the quick
# benchmarks again, compared with the figures recorded for this machine class in
# bench/baseline.txt. Fails when a figure drops below FH_GUARD_FRACTION (default 0.35) of its
# baseline: shared, noisy 2-core machines swing by 2x, a real regression is larger.
#   bench/guard.sh BUILD_DIR
set -euo pipefail
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
frac=${FH_GUARD_FRACTION:-0.35}
declare -A now
while read -r name val; do now[$name]=$val; done < <(
    "$B/bench/bench_decode" 0.5 | awk '/M records\/s/ {print "decode_" $1, $2}'
    "$B/bench/bench_worker" v9 1 | awk '/^1 worker/ {print "worker_v9_1", $3} /^2 worker/ {print "worker_v9_2", $3}'
    "$B/bench/bench_engine" 100000 2 | awk '/M flow events/ {for (i = 1; i < NF; i++) if ($(i + 1) == "M") print "engine_100k", $i}'
)
fail=0 pass=0
while read -r name base; do
    case $name in ''|\#*) continue ;; esac
    v=${now[$name]:-0}
    if python3 -c "import sys; sys.exit(0 if float('$v') >= $frac * float('$base') else 1)"; then
        printf 'ok    %-16s %8s M/s (baseline %s)\n' "$name" "$v" "$base"; pass=$((pass + 1))
    else
        printf 'FAIL  %-16s %8s M/s < %s x baseline %s\n' "$name" "$v" "$frac" "$base"; fail=$((fail + 1))
    fi
done < "$here/baseline.txt"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
