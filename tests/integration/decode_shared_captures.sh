#!/usr/bin/env bash
# labels: decode
# Every capture under ../shared/captures decoded by `flowhound decode` and by tshark, record by
# record (tests/tools/tshark_oracle.py); differences must be listed, with the reason, in
# tests/integration/tshark-disagreements.md. Also: no capture makes flowhound crash or exit
# with an error, and each raw payload file decodes the same read raw as wrapped in a pcap.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SHARED:?}" "${FH_SRC:?}"
if [ ! -d "$FH_SHARED/captures" ]; then
    echo "SKIP: $FH_SHARED/captures not found"
    exit 0
fi
python3 "$FH_SRC/tests/tools/tshark_oracle.py" "$FH_BIN" "$FH_SHARED/captures" \
    "$FH_SRC/tests/integration/tshark-disagreements.md"

# every file alone (data without its template included) must not crash or fail
fails=0
while IFS= read -r -d '' f; do
    rc=0
    "$FH_BIN" decode "$f" >/dev/null 2>/tmp/fh_decode_err.$$ || rc=$?
    if [ "$rc" -gt 1 ] || grep -qE 'Sanitizer|runtime error' /tmp/fh_decode_err.$$; then
        echo "FAIL: $f alone: exit $rc"; fails=$((fails + 1))
    fi
done < <(find "$FH_SHARED/captures" -type f \( -name '*.pcap' -o -name '*.pcapng' -o \
    -name '*.dat' -o -name '*.bin' -o -name '*.ipfix' \) -print0)
rm -f /tmp/fh_decode_err.$$
[ "$fails" -eq 0 ] || exit 1
echo "every capture decodes alone without a crash"
