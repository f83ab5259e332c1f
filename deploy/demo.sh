#!/usr/bin/env bash
# The main job on the bundled defaults (README): install what flowhound needs, build it, and
# run it on the bundled captures made by real exporters (tests/vectors/): every flow record
# they hold, decoded, then a summary per capture.
#   deploy/demo.sh            (as root on a fresh Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
FH=./build/flowhound
echo
echo "== NetFlow v9 from softflowd, as text"
$FH decode --format text tests/vectors/softflowd-v9.pcap | head -n 15
echo "..."
for f in tests/vectors/*.pcap; do
    case $f in */traffic.pcap) continue ;; esac
    printf '%-40s ' "$(basename "$f")"
    $FH decode "$f" 2>&1 >/dev/null | tail -n 1
done
