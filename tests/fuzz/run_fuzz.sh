#!/usr/bin/env bash
# Run one libFuzzer target for a fixed time over a seed corpus (CTest label fuzz).
# usage: run_fuzz.sh BINARY NAME CORPUS_DIR SECONDS
# Seeds: tests/fuzz/seeds/NAME/ (if any) and seeds made from the shared captures.
set -euo pipefail
bin=$1 name=$2 corpus=$3 secs=$4
mkdir -p "$corpus"
seeds="$FH_SRC/tests/fuzz/seeds/$name"
if [ -d "${FH_SHARED:-/nonexistent}/captures" ] && [ -z "$(ls -A "$corpus")" ]; then
    python3 "$FH_SRC/tests/fuzz/make_seeds.py" "$name" "$FH_SHARED/captures" "$corpus"
fi
# then the committed seeds (regressions found before, hand-made inputs)
if [ -d "$seeds" ]; then cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true; fi
exec "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -max_len=65536 "$corpus"
