#!/usr/bin/env bash
# Regenerate the test vectors made by real exporters (run as root; needs softflowd, pmacct,
# nfdump, wireshark-common's dumpcap, python3-scapy; about 30 seconds). Only loopback is used.
#   traffic.pcap                 raw traffic written by gen_traffic.py (never sent)
#   softflowd-{v5,v9,ipfix}.pcap softflowd -r traffic.pcap exporting to a loopback port
#   pmacct-sflow{,-s4}.pcap      pmacctd's sfprobe plugin (sFlow v5, sampling 1 and 1:4)
#   pmacct-nfv9.pcap             pmacctd's nfprobe plugin (NetFlow v9)
#   nfreplay-v9.pcap             nfcapd's file of the softflowd v9 stream replayed by nfreplay
#   *.nfdump.csv                 nfcapd + nfdump's view of each NetFlow/IPFIX stream (oracle)
# Each export capture is made on its own loopback port (the port is in the file: flowhound
# decode recognises the datagrams by content).
set -euo pipefail
cd "$(dirname "$0")"
OUT=$(pwd)
TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

/usr/bin/python3 gen_traffic.py "$OUT/traffic.pcap"

capture_start() { # port file
    dumpcap -q -i lo -f "udp port $1" -P -w "$2" >/dev/null 2>&1 &
    CAP=$!
    PIDS+=("$CAP")
    sleep 1.5
}
capture_stop() {
    sleep 1
    kill -INT "$CAP"
    wait "$CAP" 2>/dev/null || true
}
nfcapd_start() { # port dir
    mkdir -p "$2"
    nfcapd -p "$1" -b 127.0.0.1 -w "$2" -t 3600 >/dev/null 2>&1 &
    NFC=$!
    PIDS+=("$NFC")
    sleep 1
}
nfcapd_stop() { # dir name
    kill -TERM "$NFC"
    wait "$NFC" 2>/dev/null || true
    local f
    f=$(ls "$1"/nfcapd.* | grep -v current | head -1)
    nfdump -r "$f" -q -o csv -6 > "$OUT/$2.nfdump.csv"
    cp "$f" "$TMP/$2.nfcapd"
}

port=39100
for v in 5 9 10; do
    name=softflowd-v$v
    [ $v = 10 ] && name=softflowd-ipfix
    port=$((port + 1))
    nfcapd_start $port "$TMP/nfc$v"
    capture_start $port "$OUT/$name.pcap"
    softflowd -r "$OUT/traffic.pcap" -n 127.0.0.1:$port -v $v -d >/dev/null 2>&1
    capture_stop
    nfcapd_stop "$TMP/nfc$v" $name
done

# nfreplay: the v9 stream as nfcapd stored it, sent again by nfdump's replayer
port=$((port + 1))
capture_start $port "$OUT/nfreplay-v9.pcap"
nfreplay -r "$TMP/softflowd-v9.nfcapd" -H 127.0.0.1 -p $port -v 9 >/dev/null 2>&1
capture_stop

pm() { # plugin port file extra-config
    cat > "$TMP/pm.conf" <<CONF
daemonize: false
pcap_savefile: $OUT/traffic.pcap
plugins: $1
$4
CONF
    capture_start "$2" "$OUT/$3"
    timeout 30 pmacctd -f "$TMP/pm.conf" >/dev/null 2>&1 || true
    capture_stop
}
port=$((port + 1))
pm sfprobe $port pmacct-sflow.pcap "sfprobe_receiver: 127.0.0.1:$port
sfprobe_agentip: 192.0.2.77
sampling_rate: 1"
port=$((port + 1))
pm sfprobe $port pmacct-sflow-s4.pcap "sfprobe_receiver: 127.0.0.1:$port
sfprobe_agentip: 192.0.2.77
sampling_rate: 4"
port=$((port + 1))
pm nfprobe $port pmacct-nfv9.pcap "nfprobe_receiver: 127.0.0.1:$port
nfprobe_version: 9
nfprobe_timeouts: tcp=1:maxlife=60"
ls -la "$OUT"
