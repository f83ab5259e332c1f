#!/usr/bin/env bash
# Query speed and file size: `flowhound query` against `nfdump` on the same flows, in the same
# run. bench/fh-gen makes a NetFlow v9 stream of FLOWS records; it is sent on loopback to
# nfcapd (at 20 k datagrams/s, or slower if nfcapd loses some) and written as a pcap that
# `flowhound analyze --write` stores. Both stores must hold the same number of flows, or the
# run stops. Each query runs REPS times on each tool, the two alternating; the median wall time
# is shown with its spread (min .. max), and the ratio nfdump / flowhound of the medians (above
# 1: flowhound is faster) with the spread of the ratios of each pair. Run from the repository
# root after a build:   bench/query.sh [BUILD_DIR] [FLOWS] [REPS]
set -euo pipefail
B=${1:-build}
FLOWS=${2:-2000000}
REPS=${3:-3}
FH=$B/flowhound
GEN=$B/bench/fh-gen
source "$(dirname "$0")/../tests/tools/testlib.sh" # T, PIDS, free_udp_port
source "$(dirname "$0")/timing.sh"                  # wall, side_by_side

# the same stream twice: a pcap for flowhound, datagrams for nfcapd (fh-gen is deterministic)
$GEN --format v9 --flows "$FLOWS" --pcap "$T/gen.pcap" >/dev/null 2>&1
"$FH" analyze --write "$T/fh" "$T/gen.pcap" >/dev/null 2>&1
n_fh=$("$FH" query -R "$T/fh" -o csv 2>/dev/null | tail -n +2 | wc -l)
# nfcapd must store every flow: on a shared machine it can drop datagrams when another job
# takes the CPU, so a store that misses flows is made again at half the rate, three tries
load_nf() { # rate -> 0 when nfcapd stored as many flows as flowhound
    local port pid; port=$(free_udp_port)
    rm -rf "$T/nfc"; mkdir -p "$T/nfc"
    nfcapd -p "$port" -b 127.0.0.1 -w "$T/nfc" -t 3600 >/dev/null 2>&1 &
    pid=$!; PIDS+=($pid)
    sleep 1
    $GEN --format v9 --flows "$FLOWS" --send 127.0.0.1:"$port" --rate "$1" >/dev/null 2>&1
    sleep 2
    kill -TERM $pid; wait $pid 2>/dev/null || true
    n_nf=$(nfdump -R "$T/nfc" -q -o csv 2>/dev/null | grep -c , || true)
    [ "$n_nf" = "$n_fh" ] || { echo "nfcapd at $1 datagrams/s: $n_nf flows, flowhound $n_fh" >&2; return 1; }
}
rate=20000
until load_nf $rate; do
    rate=$((rate / 2))
    if [ $rate -lt 5000 ]; then
        echo "the stores differ at every rate tried (nfcapd lost datagrams)" >&2
        exit 1
    fi
done
size_fh=$(du -sb "$T/fh" | cut -f1)
size_nf=$(du -sb "$T/nfc" | cut -f1)

row() { # name, filter, options (the same for both tools); the tools alternate, REPS runs each
    local name=$1 filt=$2 cells
    shift 2
    cells=$(side_by_side "$REPS" 1 3 s wall "$FH" query -R "$T/fh" "$@" "$filt" \
        --vs-- wall nfdump -R "$T/nfc" -q "$@" "$filt")
    echo "| $name | $cells |"
}

echo "flows: $n_fh in each store (sent to nfcapd at $rate datagrams/s); nfdump $(nfdump -V 2>&1 | head -1 | awk '{print $NF}'), $(nproc) cores"
echo
echo "| | flowhound | nfcapd | nfcapd / flowhound |"
echo "|---|---|---|---|"
printf '| files on disk | %s bytes (%.1f B/flow) | %s bytes (%.1f B/flow) | %.2f |\n' \
    "$size_fh" "$(echo "$size_fh / $n_fh" | bc -l)" "$size_nf" "$(echo "$size_nf / $n_nf" | bc -l)" \
    "$(echo "$size_nf / $size_fh" | bc -l)"
echo
echo "| query (median of $REPS, min .. max) | flowhound | nfdump | nfdump / flowhound |"
echo "|---|---|---|---|"
row "every flow as csv" any -o csv
row "selective filter (UDP/53, > 1 MB), as csv" 'proto udp and dst port 53 and bytes > 1000000' -o csv
row "-s srcip/bytes" any -s srcip/bytes -o csv
row "-s dstport/flows, TCP only" 'proto tcp' -s dstport -o csv
row "-A srcip,dstport" any -A srcip,dstport -o csv
