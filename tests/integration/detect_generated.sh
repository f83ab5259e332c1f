#!/usr/bin/env bash
# labels: detect
# Injected activities in generated NetFlow v5, v9, IPFIX and sFlow streams are all alerted,
# with nothing else, and the detection delay is printed (tests/tools/detection_eval.py).
set -euo pipefail
: "${FH_BIN:?}" "${FH_BUILD:?}" "${FH_SRC:?}"
python3 "$FH_SRC/tests/tools/detection_eval.py" "$FH_BIN" "$FH_BUILD/bench/fh-gen"
