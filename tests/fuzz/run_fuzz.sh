#!/usr/bin/env bash
# Run one libFuzzer target for a fixed time over a seed corpus (CTest label fuzz).
# usage: run_fuzz.sh BINARY NAME CORPUS_DIR SECONDS
# Seeds: tests/fuzz/seeds/NAME/ and, for decoder targets, the shared captures' raw payloads.
set -euo pipefail
bin=$1 name=$2 corpus=$3 secs=$4
mkdir -p "$corpus"
seeds="$FH_SRC/tests/fuzz/seeds/$name"
[ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
if [ -d "${FH_SHARED:-/nonexistent}/captures/more" ]; then
    case $name in
    fuzz_decode*) find "$FH_SHARED/captures/more" \( -name '*.dat' -o -name '*.bin' \) \
                      -exec cp -n {} "$corpus"/ \; ;;
    esac
fi
exec "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$corpus"
