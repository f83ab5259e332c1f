#!/usr/bin/env bash
# Lossless UDP rate: flowhound (socket path) against nfdump's and pmacct's collectors,
# receiving the same stream from bench/fh-gen on loopback, in the same run:
#   NetFlow v9 (~25 records a datagram): nfcapd and nfacctd;
#   sFlow v5   (~11 samples a datagram): sfcapd (Debian package nfdump-sflow) and sfacctd.
# For each rate (datagrams/s) the stream is sent once to each collector; a rate is lossless
# when the collector counted every record sent (nfcapd/sfcapd: the records nfdump reads back;
# nfacctd/sfacctd aggregate what they receive, so for them: every packet the records carry,
# summed). A collector that is not installed is reported as such. Prints a table per format
# and the highest lossless rate of each collector; run from the repository root after a
# build:   bench/lossless.sh [BUILD_DIR] [DATAGRAMS] [FORMATS]
# DATAGRAMS: the datagrams of one send (default 20000); FORMATS: "v9 sflow" (default), or one.
# FH_LOSSLESS_RATES overrides the rates (datagrams/s, 0 = unpaced).
set -euo pipefail
B=${1:-build}
N=${2:-20000}
FORMATS=${3:-v9 sflow}
RATES=${FH_LOSSLESS_RATES:-10000 25000 50000 100000 200000 0}
FH=$B/flowhound
GEN=$B/bench/fh-gen
source "$(dirname "$0")/../tests/tools/testlib.sh" # T, PIDS, free_udp_port

# per format: fh-gen's records per datagram, nfdump's collector, pmacct's collector
declare -A PER_DGRAM=([v9]=25 [sflow]=11) CAPD=([v9]=nfcapd [sflow]=sfcapd) \
    ACCTD=([v9]=nfacctd [sflow]=sfacctd) TITLE=([v9]="NetFlow v9" [sflow]="sFlow v5")

# pmacct_rate BIN rate -> packets counted by nfacctd or sfacctd (same config, own key prefix)
pmacct_rate() {
    local bin=$1 port; port=$(free_udp_port)
    rm -f "$T/pm.csv"
    cat > "$T/pm.conf" <<CONF
daemonize: false
${bin}_port: $port
${bin}_ip: 127.0.0.1
plugins: print
aggregate: proto
print_output: csv
print_output_file: $T/pm.csv
print_refresh_time: 600
plugin_buffer_size: 1048576
plugin_pipe_size: 134217728
CONF
    "$bin" -f "$T/pm.conf" >/dev/null 2>&1 &
    local pid=$!; PIDS+=($pid)
    sleep 1.5
    $GEN "${GARGS[@]}" --send 127.0.0.1:$port --rate "$2" >/dev/null 2>&1
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
    $GEN "${GARGS[@]}" --send 127.0.0.1:$port --rate "$1" >"$T/gen.out" 2>&1
    sleep 2.5
    "$FH" stats --json --control $T/fh.sock | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])'
    kill -TERM $pid; wait $pid 2>/dev/null || true
    rm -f $T/fh.sock
}

# capd_rate BIN rate -> records that nfcapd or sfcapd stored (read back by nfdump)
capd_rate() {
    local bin=$1 port; port=$(free_udp_port)
    rm -rf "$T/nfc"; mkdir -p "$T/nfc"
    "$bin" -p $port -b 127.0.0.1 -w "$T/nfc" -t 3600 >/dev/null 2>&1 &
    local pid=$!; PIDS+=($pid)
    sleep 1
    $GEN "${GARGS[@]}" --send 127.0.0.1:$port --rate "$2" >/dev/null 2>&1
    sleep 1
    kill -TERM $pid; wait $pid 2>/dev/null || true
    nfdump -R "$T/nfc" -q -o csv 2>/dev/null | grep -c . || true
}

cell() { # count want -> "count/want[ lossless]", or "not installed" for an empty count
    if [ -z "$1" ]; then echo "not installed"; return; fi
    echo "$1/$2$([ "$1" = "$2" ] && echo ' lossless')"
}

first=1
for fmt in $FORMATS; do
    capd=${CAPD[$fmt]}; acctd=${ACCTD[$fmt]}
    GARGS=(--format "$fmt" --flows $((N * PER_DGRAM[$fmt])))
    # the records and datagrams one send carries (fh-gen prints them), and the packets they carry
    read -r sent dgrams < <($GEN "${GARGS[@]}" --pcap "$T/probe.pcap" 2>&1 | awk '{print $2, $5}')
    want_pkts=$("$FH" decode "$T/probe.pcap" 2>/dev/null | python3 -c 'import json,sys; print(sum(json.loads(l)["packets"] for l in sys.stdin))')
    have_capd=0; command -v "$capd" >/dev/null && have_capd=1
    have_acctd=0; command -v "$acctd" >/dev/null && have_acctd=1
    [ $first = 1 ] || echo
    first=0
    echo "${TITLE[$fmt]}: $sent records in $dgrams datagrams a send"
    printf '%-18s %-26s %-26s %-30s\n' "datagrams/s" "flowhound records" "$capd records" "$acctd packets"
    best_f=-; best_n=-; best_p=-; lost_f=0; lost_n=0; lost_p=0
    for rate in $RATES; do
        f=$(fh_rate $rate)
        n=""; [ $have_capd = 1 ] && n=$(capd_rate "$capd" $rate)
        p=""; [ $have_acctd = 1 ] && p=$(pmacct_rate "$acctd" $rate)
        label=$rate
        # unpaced: the rate fh-gen reached in flowhound's send
        [ $rate = 0 ] && label="unpaced (~$(grep -o '[0-9]* datagrams/s' "$T/gen.out" | cut -d' ' -f1))"
        printf '%-18s %-26s %-26s %-30s\n' "$label" "$(cell "$f" "$sent")" "$(cell "$n" "$sent")" \
            "$(cell "$p" "$want_pkts")"
        # highest lossless rate: the last rate before the first loss
        if [ $lost_f = 0 ]; then [ "$f" = "$sent" ] && best_f=$label || lost_f=1; fi
        if [ $lost_n = 0 ]; then [ "$n" = "$sent" ] && best_n=$label || lost_n=1; fi
        if [ $lost_p = 0 ]; then [ "$p" = "$want_pkts" ] && best_p=$label || lost_p=1; fi
    done
    # no loss at any rate: at least the last one
    [ $lost_f = 1 ] || best_f=">= $best_f"
    [ $lost_n = 1 ] || best_n=">= $best_n"
    [ $lost_p = 1 ] || best_p=">= $best_p"
    [ $have_capd = 1 ] || best_n="not installed"
    [ $have_acctd = 1 ] || best_p="not installed"
    echo "highest lossless rate (datagrams/s, below the first loss): flowhound $best_f, $capd $best_n, $acctd $best_p"
done
