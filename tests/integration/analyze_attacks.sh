#!/usr/bin/env bash
# labels: detect
# `flowhound analyze` on real attack captures (raw traffic, tap mode): each gives its alert
# type with the right offender or victim; the benign captures and the exports made by real
# exporters of benign traffic give none.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}" "${FH_SHARED:?}"
source "$FH_SRC/tests/tools/testlib.sh" # T
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
# the evidence shows the activity's flows: every alert has top peers and sample flows (the
# first three, and the latest); each sample involves the alert's source (the victim for a
# flood from spoofed sources), and each TCP/UDP sample's 5-tuple is one that tshark sees in
# the capture's packets
samples() { # capture [args]
    local cap=$1; shift
    "$FH_BIN" analyze "$@" "$cap" 2>/dev/null > "$T/a.json"
    tshark -r "$cap" -T fields -E separator=' ' -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
        -e ip.proto -e ipv6.nxt -e tcp.srcport -e udp.srcport -e tcp.dstport -e udp.dstport \
        -Y 'tcp or udp' 2>/dev/null > "$T/tuples.txt"
    if python3 - "$T/a.json" "$T/tuples.txt" <<'PY'; then
import json, sys
tuples = set()
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) >= 5:  # src dst proto sport dport (one of each family present)
        src, dst, proto, sport, dport = f[0], f[1], f[2].split(",")[-1], f[3], f[4]
        tuples.add((src, int(sport), dst, int(dport), {"6": "tcp", "17": "udp"}.get(proto)))
alerts = [json.loads(l) for l in open(sys.argv[1])]
assert alerts, "no alert"
for a in alerts:
    e = a["evidence"]
    s, top = e["sample_flows"], e["top_peers"]
    assert 1 <= len(s) <= 4 and 1 <= len(top) <= 8, (a["type"], len(s), len(top))
    who = a["dst"] if a["src"] in ("0.0.0.0", "::") else a["src"]
    for f in s:
        assert who in (f["src"], f["dst"]), (a["type"], who, f)
        if f["proto"] in ("tcp", "udp"):
            t = (f["src"], f["sport"], f["dst"], f["dport"], f["proto"])
            assert t in tuples, ("not in the capture", a["type"], t)
    assert all(p["flows"] >= 1 for p in top), top
print("%d alerts, %d sample flows" % (len(alerts), sum(len(a["evidence"]["sample_flows"]) for a in alerts)))
PY
        echo "ok   $(basename "$cap"): sample flows and top peers, in the capture"; pass=$((pass + 1))
    else
        echo "FAIL $(basename "$cap"): sample flows"; failn=$((failn + 1))
    fi
}
samples "$A/ndpi__synscan.pcap"
samples "$A/stopddos__pkt.TCP.synflood.spoofed.pcap"
samples "$A/ndpi__dns-tunnel-iodine.pcap"
samples "$A/ndpi__bittorrent.pcap"
samples "$A/ndpi__tor.pcap" --blocklist "tor=$FH_SRC/tests/data/blocklists/tor-relays.rules"
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
