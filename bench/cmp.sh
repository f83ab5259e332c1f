#!/usr/bin/env bash
# Two builds of a benchmark, alternating, on a noisy machine: each binary's user CPU seconds
# per run (and any "digest" line it prints, which must agree), then the median and minimum of
# each. Alternation spreads the neighbours' load over both; CPU time, not wall time.
#   bench/cmp.sh ROUNDS "ARGS" OLD_BINARY NEW_BINARY
# e.g. FH_BENCH_BLOCKLIST=1 bench/cmp.sh 3 "100000 0 10000000 quiet" /tmp/old/bench_engine build/bench/bench_engine
set -euo pipefail
rounds=$1 args=$2
shift 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
declare -A t
for _ in $(seq "$rounds"); do
    for b in "$@"; do
        # shellcheck disable=SC2086 # ARGS are several words
        /usr/bin/time -f "%U" "$b" $args >"$out" 2>"$err"
        t[$b]+="$(tail -1 "$err") "
        echo "$b $(tail -1 "$err") $(grep -i digest "$out" || true)"
    done
done
for b in "$@"; do
    echo "${t[$b]}" | tr ' ' '\n' | grep . | sort -n |
        awk -v b="$b" '{v[NR] = $1} END {printf "%s: median %s, min %s (%d runs)\n", b, v[int((NR + 1) / 2)], v[1], NR}'
done
