#!/usr/bin/env bash
# labels: filter
# The filter language against nfdump itself: the same exports (softflowd's v9 stream of the
# bundled traffic) received by nfcapd and decoded by flowhound; for each filter of a battery,
# `nfdump -r FILE FILTER` and `flowhound decode --filter FILTER` must count the same records.
# Also compile errors exit 2 with the column.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}"
source "$FH_SRC/tests/tools/testlib.sh"
V="$FH_SRC/tests/vectors"
F=$(nfcapd_file "$V/softflowd-v9.pcap")
total=$(nfdump -r "$F" -q -o csv -6 'any' | grep -c , || true)
[ "$total" -gt 100 ] || { echo "FAIL: nfcapd stored $total records"; exit 1; }
pass=0 failn=0
while IFS= read -r filt; do
    case $filt in ''|\#*) continue ;; esac
    # (nfdump prints "No matching flows" instead of nothing: count CSV rows only)
    n=$(nfdump -r "$F" -q -o csv -6 "$filt" 2>/dev/null | grep -c , || true)
    o=$("$FH_BIN" decode --filter "$filt" "$V/softflowd-v9.pcap" 2>/dev/null | wc -l)
    if [ "$n" = "$o" ]; then pass=$((pass + 1)); printf 'ok   %5s  %s\n' "$o" "$filt"
    else failn=$((failn + 1)); printf 'FAIL nfdump %s flowhound %s  %s\n' "$n" "$o" "$filt"; fi
done <<'FILTERS'
any
proto tcp
proto udp
proto icmp
proto 17
proto tcp and port 22
dst port 22
src port 22
port in [ 22 80 443 ]
dst port in [ 53 ]
port > 1023
src port < 1024
dst port >= 443
src net 198.51.100.0/24
dst net 203.0.113.0/24
net 203.0.113.0/29
net 203.0.113.0 255.255.255.0
src net 198.51.100.0/24 and not dst port 443
host 198.51.100.10
src ip 198.51.100.10 or dst host 203.0.113.1
ip in [ 198.51.100.10 203.0.113.0/29 ]
inet6
inet
ipv6 and port 443
net 2001:db8:1::/48
flags S
flags A
flags R
flags F
flags AS and not flags R
(proto udp and port 53) or flags R
not port 443
not ( proto tcp or proto udp )
packets > 3
packets >= 3 and packets <= 5
bytes > 1000
bytes < 500
bytes > 1k
bpp > 500
bpp < 100
duration > 100
duration < 50
pps > 10
bps > 10k
bps > 1m
tos 0
FILTERS
# errors: exit 2, with the column
rc=0; "$FH_BIN" decode --filter 'proto tcp and port foo' "$V/softflowd-v9.pcap" 2>"$T/e" >/dev/null || rc=$?
if [ $rc = 2 ] && grep -q "filter:1:20: expected a port number after 'port', got 'foo'" "$T/e"; then
    pass=$((pass + 1)); echo "ok   error with its column"
else failn=$((failn + 1)); echo "FAIL error: $rc $(cat "$T/e")"; fi
echo "$pass passed, $failn failed"
[ "$failn" = 0 ]
