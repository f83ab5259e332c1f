#!/usr/bin/env bash
# The web view on a day of data: API latency against nfdump answering the same question on
# the same flows, and the page's load time in headless Chromium. bench/fh-gen makes an IPFIX
# stream of FLOWS flows spread over 24 hours; it is sent on loopback to `flowhound run --web`
# (flow files and time series) and to nfcapd. Both must hold every flow (a store that misses
# some is made again at half the rate, three tries), or the run stops. Each request runs REPS
# times, alternating with nfdump's command where there is one; medians with their spread
# (min .. max), and the ratio nfdump / flowhound of the medians (above 1: flowhound is faster)
# with the spread of the ratios of each pair. Run from the repository root after a build:
#   bench/web.sh [BUILD_DIR] [FLOWS] [REPS]
set -euo pipefail
B=${1:-build}
FLOWS=${2:-500000}
REPS=${3:-5}
FH=$B/flowhound
GEN=$B/bench/fh-gen
source "$(dirname "$0")/../tests/tools/testlib.sh" # T, PIDS, free ports
source "$(dirname "$0")/timing.sh"                  # wall, curl_time, spread, side_by_side

START=$(( $(date +%s) / 3600 * 3600 - 86400 ))
ARGS=(--format ipfix --flows "$FLOWS" --hosts 20000 --duration 86400 --start "$START" --seed 3)
FROM=$((START * 1000)); TO=$(((START + 86400) * 1000))
R="from=$FROM&to=$TO"
sent=$("$GEN" "${ARGS[@]}" --pcap "$T/probe.pcap" 2>&1 | awk '{print $2}')
rm -f "$T/probe.pcap"

# Each store must hold every flow sent. On a shared machine a collector can drop datagrams
# when another job takes the CPU: a store that misses flows is made again from scratch, at
# half the rate, three tries at most (the rates used are printed).
load_fh() { # rate -> 0 when flowhound's API counts every flow (flowhound left running)
    local udp; udp=$(free_udp_port)
    WEB=$(free_tcp_port); U="http://127.0.0.1:$WEB"
    rm -rf "$T/store" "$T/ctl.sock"
    "$FH" run --listen 127.0.0.1:$udp --home-net 198.18.0.0/15 --web 127.0.0.1:$WEB \
        --set control.socket="$T/ctl.sock" --set store.dir="$T/store" --set series.file= \
        --set flowtable.capacity=2000000 >/dev/null 2>"$T/run.err" &
    FHPID=$!; PIDS+=($FHPID)
    sleep 1
    "$GEN" "${ARGS[@]}" --send 127.0.0.1:$udp --rate "$1" >/dev/null 2>&1
    for _ in $(seq 30); do
        sleep 1
        n_fh=$(curl -s "$U/api/top?by=proto&$R" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["flows"])' || echo 0)
        [ "$n_fh" = "$sent" ] && return 0
    done
    echo "flowhound at $1 datagrams/s: $n_fh of $sent flows; $("$FH" stats --json --control "$T/ctl.sock" | tr -d '\n')" >&2
    kill -TERM $FHPID; wait $FHPID 2>/dev/null || true
    return 1
}
load_nf() { # rate -> 0 when nfcapd stored every flow
    local port pid; port=$(free_udp_port)
    rm -rf "$T/nfc"; mkdir -p "$T/nfc"
    nfcapd -p "$port" -b 127.0.0.1 -w "$T/nfc" -t 3600 >/dev/null 2>&1 &
    pid=$!; PIDS+=($pid)
    sleep 1
    "$GEN" "${ARGS[@]}" --send 127.0.0.1:$port --rate "$1" >/dev/null 2>&1
    sleep 2
    kill -TERM $pid; wait $pid 2>/dev/null || true
    n_nf=$(nfdump -R "$T/nfc" -q -o csv 2>/dev/null | grep -c , || true)
    [ "$n_nf" = "$sent" ] || { echo "nfcapd at $1 datagrams/s: $n_nf of $sent flows" >&2; return 1; }
}
loaded() { # load_fh|load_nf -> RATE: the rate that worked; or a failure after three tries
    RATE=20000
    for _ in 1 2 3; do
        "$1" $RATE && return 0
        RATE=$((RATE / 2))
    done
    echo "${1#load_}: the store misses flows at every rate tried" >&2
    return 1
}
loaded load_fh || exit 1
rate_fh=$RATE
loaded load_nf || exit 1
rate_nf=$RATE

t_api() { # url -> median ms with the spread, REPS requests
    local i
    for ((i = 0; i < REPS; i++)); do curl_time "$1" || return 1; done | spread 1000 1 ms
}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
row() { # name, api path+args, nfdump args...; request and command alternate, REPS runs each
    local name=$1 api=$2 cells
    shift 2
    cells=$(side_by_side "$REPS" 1 3 s curl_time "$U/api/$api&$R" --vs-- wall nfdump -R "$T/nfc" -q "$@")
    echo "| $name | $cells |"
}
echo "flows: $n_fh over 24 h in each store (sent at $rate_fh datagrams/s to flowhound, $rate_nf to nfcapd); $(find "$T/store" -name '*.fhf*' | wc -l) flow files; $(nproc) cores; nfdump $(nfdump -V 2>&1 | head -1 | awk '{print $NF}')"
echo
echo "| request (a day of flows; median of $REPS, min .. max) | flowhound API | nfdump | nfdump / flowhound |"
echo "|---|---|---|---|"
row "top 10 dst ports by bytes" "top?by=dstport&order=bytes&n=10" -s dstport/bytes -n 10
row "top 10 src IPs by flows, UDP only" "top?by=srcip&order=flows&n=10&filter=$(enc 'proto udp')" -s srcip -n 10 'proto udp'
row "first 100 flows of udp/53 > 500 bytes" "flows?limit=100&filter=$(enc 'proto udp and port 53 and bytes > 500')" -c 100 'proto udp and port 53 and bytes > 500'
echo
echo "| request | median of $REPS (min .. max) |"
echo "|---|---|"
for req in "/api/status (baseline)|status?x=1" \
    "/api/series, 5 series x 1,440 minutes|series?names=total,proto.tcp,proto.udp,proto.icmp,proto.other&$R" \
    "/api/alerts|alerts?status=all&x=1"; do
    cell=$(t_api "$U/api/${req#*|}")
    echo "| ${req%%|*} | $cell |"
done
if [ -d web/node_modules/playwright-core ] && [ -x /usr/bin/chromium ]; then
    read -r med lo hi < <(node bench/web_load.mjs "$U/" "$FROM" "$TO" "$REPS")
    echo "| page load to totals and top-10 shown (Chromium, day range) | $med ms ($lo .. $hi) |"
fi
