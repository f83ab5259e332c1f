#!/usr/bin/env bash
# labels: filter
# `flowhound query` against nfdump on the same flows: softflowd's v9 export of the bundled
# traffic, stored by nfcapd and by `flowhound analyze --write`. Record listings with filters,
# and top-N statistics (-s) for every key and order: the same values with the same flow,
# packet and byte counts, and aggregation (-A). Also: a crash before a file is closed leaves no file that looks
# complete, and a damaged block is reported and skipped.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}"
source "$FH_SRC/tests/tools/testlib.sh"
V="$FH_SRC/tests/vectors"
F=$(nfcapd_file "$V/softflowd-v9.pcap")
"$FH_BIN" analyze --write "$T/fh" "$V/softflowd-v9.pcap" >/dev/null 2>&1
pass=0 failn=0
check() { # name ours theirs
    if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   $1"
    else failn=$((failn + 1)); echo "FAIL $1"; diff <(echo "$3") <(echo "$2") | head -5; fi
}
for filt in 'any' 'proto tcp and dst port 22' 'src net 198.51.100.0/24 and packets > 3' 'inet6'; do
    ours=$("$FH_BIN" query -R "$T/fh" "$filt" 2>/dev/null | wc -l)
    theirs=$(nfdump -r "$F" -q -o csv -6 "$filt" | grep -c , || true)
    check "records: $filt ($ours)" "$ours" "$theirs"
done
# statistics: value, flows, packets, bytes of every row, order-independent
norm() { awk -F, 'NR > 1 && NF >= 10 {print $5, $6, $8, $10}' | sort; }
for key in srcip dstip ip srcport dstport port proto; do
    for order in flows bytes; do
        ours=$("$FH_BIN" query -R "$T/fh" -s $key/$order -n 100000 -o csv 2>/dev/null | norm)
        theirs=$(nfdump -r "$F" -q -o csv -6 -s $key/$order -n 0 2>/dev/null | norm)
        check "-s $key/$order ($(echo "$ours" | grep -c . || true) rows)" "$ours" "$theirs"
    done
done
# the top rows agree too (ties aside): the first value by bytes
o1=$("$FH_BIN" query -R "$T/fh" -s dstport/bytes -n 1 -o csv 2>/dev/null | awk -F, 'NR == 2 {print $5}')
t1=$(nfdump -r "$F" -q -o csv -s dstport/bytes -n 1 | awk -F, 'NR == 2 {print $5}')
check "top dstport by bytes ($o1)" "$o1" "$t1"

# aggregation (-A): the same aggregates with the same flow, packet and byte counts.
# Our csv has the fields in the fixed order srcip,dstip,srcport,dstport,proto. nfdump's -A
# prints every ICMP flow's port as 0.0 while its filter sees type * 256 + code, which we
# keep: port aggregations are compared without ICMP (docs/query.md).
fmt_of() { local f=$1 o=""; for x in srcip:%sa dstip:%da srcport:%sp dstport:%dp proto:%pr; do
    case ",$f," in *",${x%%:*},"*) o="$o${x#*:},";; esac; done; echo "fmt:$o%fl,%pkt,%byt"; }
for fields in srcip,dstport dstip srcip,dstip,proto proto,srcport,dstport srcip,dstip,srcport,dstport,proto; do
    filt=any; case $fields in *port*) filt='not proto icmp' ;; esac
    ours=$("$FH_BIN" query -R "$T/fh" -A "$fields" -o csv "$filt" 2>/dev/null | awk -F, 'NR > 1 {
        s = $4; for (i = 5; i <= NF - 3; i++) s = s " " $i; print s}' | sort)
    theirs=$(nfdump -r "$F" -q -6 -N -A "$fields" -o "$(fmt_of "$fields")" "$filt" |
        tr -d ' ' | tr , ' ' | sed 's/ $//' | sort)
    check "-A $fields ($(echo "$ours" | grep -c . || true) rows)" "$ours" "$theirs"
done
n=$("$FH_BIN" query -R "$T/fh" -A srcip -O bytes -n 3 -o csv 2>/dev/null | tail -n +2 | wc -l)
check "-A -O bytes -n 3 gives 3 rows" "$n" 3
b1=$("$FH_BIN" query -R "$T/fh" -A srcip -O bytes -n 1 -o csv 2>/dev/null | awk -F, 'NR == 2 {print $7}')
bmax=$("$FH_BIN" query -R "$T/fh" -A srcip -o csv 2>/dev/null | awk -F, 'NR > 1 && $7 > m {m = $7} END {print m}')
check "-O bytes puts the largest first ($b1)" "$b1" "$bmax"

# crash safety: a writer killed before closing leaves only a .tmp, which query ignores
mkdir -p "$T/crash"
"$FH_BIN" analyze --write "$T/crash" "$V/softflowd-v9.pcap" >/dev/null 2>&1
f=$(find "$T/crash" -name '*.fhf' | head -1)
mv "$f" "$f.tmp"
n=$("$FH_BIN" query -R "$T/crash" 2>/dev/null | wc -l)
full=$("$FH_BIN" query -R "$T/fh" 2>/dev/null | wc -l)
[ "$n" -lt "$full" ] && check "a .tmp file is not read" ok ok || check "a .tmp file is not read" "$n" "< $full"
# a damaged block is reported and skipped, the rest read
mv "$f.tmp" "$f"
python3 - "$f" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[24 + 64 + 10] ^= 0xff   # a byte inside the first block's compressed data
open(p, 'wb').write(b)
PY
err=$("$FH_BIN" query -R "$T/crash" 2>&1 >/dev/null)
case $err in *"block 1: checksum mismatch"*) check "damaged block reported" ok ok ;;
*) check "damaged block reported" "$err" "checksum mismatch" ;; esac

# listings ordered like nfdump's -O ORDER (ties may come in another order: the values in
# order are compared). nfdump's -c counts records before it sorts; ours keeps the first N of
# the sorted listing (docs/query.md)
for order in bytes packets; do
    col_n=$([ $order = bytes ] && echo 13 || echo 12)
    col_f=$([ $order = bytes ] && echo 11 || echo 10)
    theirs=$(nfdump -r "$F" -q -O $order -o csv 2>/dev/null | awk -F, -v c=$col_n 'NF > 10 {print $c}' | head -10 | tr '\n' ' ')
    ours=$("$FH_BIN" query -R "$T/fh" -O $order -c 10 -o csv 2>/dev/null | awk -F, -v c=$col_f 'NR > 1 {print $c}' | tr '\n' ' ')
    check "-O $order -c 10: the largest ten in order" "$ours" "$theirs"
done
n=$("$FH_BIN" query -R "$T/fh" -c 7 2>/dev/null | wc -l)
check "-c 7 lists seven flows" "$n" 7

# AS numbers, interfaces and networks: a Juniper MX80's NetFlow v5 (sampled 1:1000, with AS
# and masks), stored by both; statistics scaled by the sampling rate as nfdump scales them
J="${FH_SHARED:-$FH_SRC/../shared}/captures/logstash/netflow5_test_juniper_mx80.pcap"
if [ -f "$J" ]; then
    JF=$(nfcapd_file "$J")
    "$FH_BIN" analyze --write "$T/jun" "$J" >/dev/null 2>&1
    for key in srcas dstas as if inif outif; do
        theirs=$(nfdump -r "$JF" -q -s $key -n 1000 -o csv 2>/dev/null | norm)
        ours=$("$FH_BIN" query -R "$T/jun" -s $key -n 1000 -o csv 2>/dev/null | norm)
        [ -n "$theirs" ] || theirs="(nfdump printed nothing)"
        check "-s $key (AS, interfaces; sampled 1:1000)" "$ours" "$theirs"
    done
    # nfdump 1.7 prints no srcnet/dstnet statistic: the decoded records are the oracle
    for side in src dst; do
        want=$("$FH_BIN" decode --format json "$J" 2>/dev/null | python3 -c '
import ipaddress, json, sys, collections
side = sys.argv[1]
c = collections.Counter()
for l in sys.stdin:
    d = json.loads(l)
    net = ipaddress.ip_network("%s/%d" % (d[side], d[side + "_mask"]), strict=False)
    c[str(net)] += 1
print("\n".join("%s %d" % kv for kv in sorted(c.items())))' $side)
        got=$("$FH_BIN" query -R "$T/jun" -s ${side}net -n 1000 -o csv 2>/dev/null |
            awk -F, 'NR > 1 && NF > 5 {print $5, $6}' | sort)
        check "-s ${side}net: each address under its record's mask" "$got" "$want"
    done
    got=$("$FH_BIN" query -R "$T/jun" -A srcip4/16,proto -o csv 2>/dev/null |
        awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "srcnet") c = i; next} {print $c}' |
        sort -u | tr '\n' ' ')
    want=$("$FH_BIN" decode --format json "$J" 2>/dev/null | python3 -c '
import ipaddress, json, sys
print(" ".join(sorted({str(ipaddress.ip_network(json.loads(l)["src"] + "/16", strict=False)) for l in sys.stdin})) + " ")')
    check "-A srcip4/16: the /16 networks" "$got" "$want"
fi

# many files, scanned by several threads: the same listing (file order) and statistics as
# one thread
GEN="$FH_BUILD/bench/fh-gen"
if [ -x "$GEN" ]; then
    "$GEN" --format ipfix --flows 60000 --duration 3600 --start 1767225600 --seed 7 \
        --pcap "$T/hour.pcap" >/dev/null 2>&1
    "$FH_BIN" analyze --write "$T/hour" "$T/hour.pcap" >/dev/null 2>&1
    nf=$(find "$T/hour" -name '*.fhf' | wc -l)
    [ "$nf" -ge 10 ] && check "an hour of flows makes $nf files" ok ok || check "files" "$nf" ">= 10"
    for args in "-s dstport/bytes -s srcip -n 50" "-A srcip,proto -O bytes" "proto udp" "-t 2026/01/01.00:20:00-2026/01/01.00:40:00"; do
        # shellcheck disable=SC2086
        one=$("$FH_BIN" query -R "$T/hour" -T 1 $args 2>/dev/null | md5sum)
        # shellcheck disable=SC2086
        many=$("$FH_BIN" query -R "$T/hour" -T 4 $args 2>/dev/null | md5sum)
        check "-T 4 gives what -T 1 gives: $args" "$many" "$one"
    done
    # -t keeps only flows that overlap the range (each printed flow, checked)
    bad=$("$FH_BIN" query -R "$T/hour" -o csv -t 2026/01/01.00:20:00-2026/01/01.00:40:00 2>/dev/null |
        awk -F, 'NR > 1 && ($13 < "2026-01-01T00:20:00" || $12 >= "2026-01-01T00:40:00")' | wc -l)
    check "-t: no flow outside the range" "$bad" 0
fi

# a live writer killed with SIGKILL: the files it had completed read whole, with no damaged
# block; what it was writing stays NAME.fhf.tmp, which query does not take for a file
UDP=$(free_udp_port)
"$FH_BIN" run --listen 127.0.0.1:$UDP --set control.socket="$T/kill.sock" \
    --set store.dir="$T/killed" --set flowtable.inactive_timeout=1s >/dev/null 2>&1 &
KPID=$!
PIDS+=($KPID)
for _ in $(seq 50); do [ -S "$T/kill.sock" ] && break; sleep 0.1; done
"$FH_BUILD/bench/fh-gen" --format ipfix --flows 30000 --duration 1500 --seed 4 \
    --start $(( $(date +%s) - 1500 )) --send 127.0.0.1:$UDP --rate 20000 >/dev/null 2>&1
sleep 2
kill -KILL $KPID
wait $KPID 2>/dev/null || true
nfin=$(find "$T/killed" -name '*.fhf' | wc -l)
ntmp=$(find "$T/killed" -name '*.fhf.tmp' | wc -l)
[ "$nfin" -ge 3 ] && [ "$ntmp" -ge 1 ] && check "SIGKILL: $nfin complete files, $ntmp left as .tmp" ok ok ||
    check "SIGKILL: complete and .tmp files" "$nfin/$ntmp" ">=3/>=1"
err=$("$FH_BIN" query -R "$T/killed" -s proto 2>&1 >/dev/null)
case $err in *damaged*|*"cut short"*|*"not a flowhound"*) check "SIGKILL: complete files read whole" "$err" clean ;;
*) check "SIGKILL: complete files read whole, the .tmp not taken for a file" ok ok ;; esac

echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
