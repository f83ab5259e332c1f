#!/usr/bin/env bash
# Lossless UDP rate: flowhound (socket path) against nfcapd (nfdump) and nfacctd (pmacct), receiving the same
# NetFlow v9 stream from bench/fh-gen on loopback, in the same run. For each rate (datagrams/s,
# ~25 records each) the stream is sent once to each collector; a rate is lossless when the
# collector counted every record sent (nfacctd aggregates what it receives, so for it: every
# packet the records carry, summed). Prints a table; run from the repository root after a
# build:   bench/lossless.sh [BUILD_DIR] [DATAGRAMS]
set -euo pipefail
B=${1:-build}
N=${2:-20000}
FH=$B/flowhound
GEN=$B/bench/fh-gen
source "$(dirname "$0")/../tests/tools/testlib.sh" # T, PIDS, free_udp_port

flows=$((N * 25))
# the records one send carries (fh-gen prints it)
sent=$($GEN --format v9 --flows $flows --pcap "$T/probe.pcap" 2>&1 | awk '{print $2}')

want_pkts=$("$FH" decode "$T/probe.pcap" 2>/dev/null | python3 -c 'import json,sys; print(sum(json.loads(l)["packets"] for l in sys.stdin))')

nfacctd_rate() { # rate -> packets counted
    local port; port=$(free_udp_port)
    rm -f "$T/pm.csv"
    cat > "$T/pm.conf" <<CONF
daemonize: false
nfacctd_port: $port
nfacctd_ip: 127.0.0.1
plugins: print
aggregate: proto
print_output: csv
print_output_file: $T/pm.csv
print_refresh_time: 600
plugin_buffer_size: 1048576
plugin_pipe_size: 134217728
CONF
    nfacctd -f "$T/pm.conf" >/dev/null 2>&1 &
    local pid=$!; PIDS+=($pid)
    sleep 1.5
    $GEN --format v9 --flows $flows --send 127.0.0.1:$port --rate "$1" >/dev/null 2>&1
    sleep 1.5
    kill -INT $pid; wait $pid 2>/dev/null || true
    awk -F, 'NR > 1 {s += $2} END {print s + 0}' "$T/pm.csv" 2>/dev/null || echo 0
}

fh_rate() { # rate -> records counted
    local port; port=$(free_udp_port)
    "$FH" run --listen 127.0.0.1:$port --set control.socket=$T/fh.sock \
        --set flowtable.capacity=2000000 >/dev/null 2>&1 &
    local pid=$!; PIDS+=($pid)
    for _ in $(seq 50); do [ -S $T/fh.sock ] && break; sleep 0.1; done
    $GEN --format v9 --flows $flows --send 127.0.0.1:$port --rate "$1" >/dev/null 2>&1
    sleep 2.5
    "$FH" stats --json --control $T/fh.sock | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])'
    kill -TERM $pid; wait $pid 2>/dev/null || true
    rm -f $T/fh.sock
}

nfcapd_rate() {
    local port; port=$(free_udp_port)
    rm -rf "$T/nfc"; mkdir -p "$T/nfc"
    nfcapd -p $port -b 127.0.0.1 -w "$T/nfc" -t 3600 >/dev/null 2>&1 &
    local pid=$!; PIDS+=($pid)
    sleep 1
    $GEN --format v9 --flows $flows --send 127.0.0.1:$port --rate "$1" >/dev/null 2>&1
    sleep 1
    kill -TERM $pid; wait $pid 2>/dev/null || true
    nfdump -R "$T/nfc" -q -o csv 2>/dev/null | grep -c . || true
}

printf '%-12s %-26s %-26s %-30s\n' "datagrams/s" "flowhound records" "nfcapd records" "nfacctd packets"
for rate in 10000 25000 50000 100000 200000 0; do
    f=$(fh_rate $rate)
    n=$(nfcapd_rate $rate)
    p=$(nfacctd_rate $rate)
    label=$rate; [ $rate = 0 ] && label="unpaced"
    printf '%-12s %-26s %-26s %-30s\n' "$label" "$f/$sent$([ "$f" = "$sent" ] && echo ' lossless')" \
        "$n/$sent$([ "$n" = "$sent" ] && echo ' lossless')" \
        "$p/$want_pkts$([ "$p" = "$want_pkts" ] && echo ' lossless')"
done
