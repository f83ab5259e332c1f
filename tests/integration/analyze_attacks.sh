#!/usr/bin/env bash
# labels: detect
# `flowhound analyze` on real attack captures (raw traffic, tap mode): each gives its alert
# type with the right offender or victim; the benign captures and the exports made by real
# exporters of benign traffic give none.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}" "${FH_SHARED:?}"
A="$FH_SHARED/captures/more/attacks"
if [ ! -d "$A" ]; then echo "SKIP: $A not found"; exit 0; fi
pass=0 failn=0
expect() { # capture type field value [extra analyze args]
    local cap=$1 type=$2 field=$3 value=$4; shift 4
    local out
    out=$("$FH_BIN" analyze "$@" "$cap" 2>/dev/null)
    if echo "$out" | python3 -c '
import json, sys
t, f, v = sys.argv[1:4]
ok = any(a["type"] == t and str(a[f]) == v for a in map(json.loads, sys.stdin))
sys.exit(0 if ok else 1)' "$type" "$field" "$value"; then
        echo "ok   $(basename "$cap"): $type $field=$value"; pass=$((pass + 1))
    else
        echo "FAIL $(basename "$cap"): no $type with $field=$value; got:"; echo "$out"; failn=$((failn + 1))
    fi
}
none() { # capture [args]
    local cap=$1; shift
    local n
    n=$("$FH_BIN" analyze "$@" "$cap" 2>/dev/null | wc -l)
    if [ "$n" = 0 ]; then echo "ok   $(basename "$cap"): no alert"; pass=$((pass + 1))
    else echo "FAIL $(basename "$cap"): $n alerts on benign traffic"; failn=$((failn + 1)); fi
}
expect "$A/ndpi__synscan.pcap" scan.vertical src 172.16.0.8
expect "$A/ndpi__synscan.pcap" scan.vertical dst 64.13.134.52
expect "$A/stopddos__pkt.TCP.synflood.spoofed.pcap" flood.syn dst 10.10.10.10
expect "$A/stopddos__amp.TCP.reflection.SYNACK.pcap" flood.syn dst 10.10.10.10
expect "$A/ndpi__dns-tunnel-iodine.pcap" dns.tunnel src 10.0.2.30
expect "$A/ndpi__dns_exfiltration.pcap" dns.tunnel src 192.168.220.56
expect "$A/ndpi__bittorrent.pcap" p2p.bittorrent src 192.168.1.3
expect "$A/ndpi__tor.pcap" blocklist.tor dst 91.143.93.242 \
    --blocklist "tor=$FH_SRC/tests/data/blocklists/tor-relays.rules"
# the spoofed flood is flagged as such, with many sources
out=$("$FH_BIN" analyze "$A/stopddos__pkt.TCP.synflood.spoofed.pcap" 2>/dev/null)
case $out in
*'"spoofed":true'*) echo "ok   spoofed flood evidence"; pass=$((pass + 1)) ;;
*) echo "FAIL spoofed evidence"; failn=$((failn + 1)) ;;
esac
# one activity, one alert: the scan is not one alert per flow
n=$("$FH_BIN" analyze "$A/ndpi__synscan.pcap" 2>/dev/null | wc -l)
[ "$n" = 1 ] && { echo "ok   synscan: one alert"; pass=$((pass + 1)); } || { echo "FAIL synscan: $n alerts"; failn=$((failn + 1)); }
for f in "$FH_SRC"/tests/vectors/*.pcap; do none "$f"; done
# a Spamhaus-format list: the inside clients of 203.0.113.0/25 are reported, with the SBL id
expect "$FH_SRC/tests/vectors/traffic.pcap" blocklist.drop dst 203.0.113.1 \
    --blocklist "drop=$FH_SRC/tests/data/blocklists/drop.txt"
out=$("$FH_BIN" analyze --blocklist "drop=$FH_SRC/tests/data/blocklists/drop.txt" \
    "$FH_SRC/tests/vectors/traffic.pcap" 2>/dev/null)  # not piped into grep -q: SIGPIPE
case $out in
*'"note":"SBL000001"'*) echo "ok   SBL id in the evidence"; pass=$((pass + 1)) ;;
*) echo "FAIL SBL id"; failn=$((failn + 1)) ;;
esac
echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
