#!/usr/bin/env bash
# labels: decode
# `flowhound decode` on exports made by real exporters (softflowd v5/v9/IPFIX, pmacct's
# sfprobe and nfprobe, nfdump's nfreplay) from one raw capture, against nfcapd/nfdump, tshark
# and the raw traffic itself. The vectors are committed; tests/vectors/make.sh remakes them.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}"
vec="$FH_SRC/tests/vectors"
if [ ! -f "$vec/softflowd-v9.pcap" ]; then
    echo "SKIP: vectors missing (run tests/vectors/make.sh)"
    exit 0
fi
python3 "$FH_SRC/tests/tools/vector_check.py" "$FH_BIN" "$vec"
