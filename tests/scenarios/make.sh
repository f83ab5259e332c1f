#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Regenerate the scenario suite (issue 4): real attack and background traffic made by real
# tools in network namespaces that this script creates, captured at a "router" namespace,
# turned into flow exports by real exporters, with a labels file per scenario.
#
# Run as root on Debian 12, about 5 minutes:  tests/scenarios/make.sh [SCENARIO...]
#
# Debian packages this script needs (install them with apt-get before running it; CI needs
# none of them: it only reads the committed export pcaps; aiosmtpd runs under Debian's
# /usr/bin/python3):
#   nmap hping3 iodine dnsmasq-base swaks python3-aiosmtpd dropbear-bin openssh-client
#   aria2 opentracker mktorrent bind9-dnsutils curl softflowd pmacct tcpdump ethtool
#   nftables iproute2 iputils-ping python3
#
# Topology (only documentation ranges; nothing leaves the namespaces or loopback):
#   fhs-in  (inside, home 198.51.100.0/24: hosts .10-.39 and the scenario hosts)
#      in0 ==veth== rin  fhs-rt (router, forwards)  rout ==veth== out0  fhs-out
#   fhs-out (outside: 203.0.113.0/24 and 192.0.2.0/24; spoofed sources in 198.18.0.0/15)
# Offloads (TSO/GSO/GRO) are off so that the capture holds wire-sized packets.
#
# Per scenario NAME (the list is SCENARIOS below), in tests/scenarios/NAME/:
#   labels.jsonl            {"type","src","dst","start"} per labelled activity (start: the
#                           wall clock, RFC 3339, just before the tool was started)
#   softflowd-v5.pcap, softflowd-v9.pcap, softflowd-ipfix.pcap
#                           softflowd -r RAW -n 127.0.0.1:PORT -v 5|9|10, the export
#                           datagrams captured on lo by tcpdump
#   pmacct-sflow.pcap, pmacct-sflow-s10.pcap
#                           pmacctd's sfprobe (sFlow v5 at 1:1 and 1:10) run live on the
#                           router's outside interface during the scenario (sFlow carries
#                           no flow times: the datagrams' capture times are the event
#                           times, so it must run live, not from the file, for the delay)
# The raw captures (tcpdump on the router's outside interface, snaplen 96) go to
# $FH_SCENARIO_RAW (default /tmp/fh-scenarios-raw), not to git.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
RAW=${FH_SCENARIO_RAW:-/tmp/fh-scenarios-raw}
mkdir -p "$RAW"
T=$(mktemp -d)
PIDS=()
SCENARIOS=(scan_h scan_v scan_udp flood_syn flood_spoofed flood_udp flood_icmp worm dns_tunnel
    open_resolver spam ssh_bulk http_thin bittorrent background)
[ $# -gt 0 ] && SCENARIOS=("$@")

IN="ip netns exec fhs-in"
RT="ip netns exec fhs-rt"
OUT="ip netns exec fhs-out"

stop_pids() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}
teardown() {
    local ns p
    stop_pids
    for ns in fhs-in fhs-rt fhs-out; do
        # whatever still runs in a namespace was started by this script
        for p in $(ip netns pids $ns 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    done
    sleep 0.3
    for ns in fhs-in fhs-rt fhs-out; do
        for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del $ns 2>/dev/null || true
    done
}
cleanup() {
    teardown
    cp "$T/bg.log" "$RAW/tools.log" 2>/dev/null || true   # what the tools said
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
bg() { "$@" >>"$T/bg.log" 2>&1 & PIDS+=($!); }
LABELS=
label() { # type src dst
    local d=null
    [ "$3" != null ] && d="\"$3\""
    printf '{"type":"%s","src":"%s","dst":%s,"start":"%s"}\n' "$1" "$2" "$d" "$(now)" >>"$LABELS"
}

setup() {
    teardown
    ip netns add fhs-in
    ip netns add fhs-rt
    ip netns add fhs-out
    ip link add in0 netns fhs-in type veth peer name rin netns fhs-rt
    ip link add out0 netns fhs-out type veth peer name rout netns fhs-rt
    local ns dev
    for ns in fhs-in fhs-rt fhs-out; do ip -n $ns link set lo up; done
    for dev in fhs-in:in0 fhs-rt:rin fhs-rt:rout fhs-out:out0; do
        ns=${dev%%:*}; dev=${dev#*:}
        ip -n "$ns" link set "$dev" up
        ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    done
    $RT sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.rout.rp_filter=0
    ip -n fhs-rt addr add 198.51.100.1/24 dev rin
    ip -n fhs-rt addr add 203.0.113.1/24 dev rout
    ip -n fhs-rt addr add 192.0.2.1/24 dev rout
    ip -n fhs-rt route add 198.18.0.0/15 via 203.0.113.2   # replies to spoofed sources
    # inside: .2 is the primary address; hosts .10-.39 exist (a scan finds them), the
    # others in the /24 do not (the router's ARP fails and it answers host unreachable)
    local i
    ip -n fhs-in addr add 198.51.100.2/24 dev in0
    for i in $(seq 10 39) 22 23 25 30 40 53 60 80 101 102 103; do
        ip -n fhs-in addr add 198.51.100.$i/32 dev in0 2>/dev/null || true
    done
    ip -n fhs-in route add default via 198.51.100.1
    $IN sysctl -qw net.ipv4.icmp_ratelimit=0
    ip -n fhs-out addr add 203.0.113.2/24 dev out0
    ip -n fhs-out addr add 192.0.2.2/24 dev out0
    for i in $(seq 10 19) $(seq 100 129) $(seq 200 210) 250; do
        ip -n fhs-out addr add 203.0.113.$i/32 dev out0
    done
    for i in $(seq 10 209); do ip -n fhs-out addr add 192.0.2.$i/32 dev out0; done
    ip -n fhs-out route add default via 203.0.113.1
    $RT ping -c1 -W1 198.51.100.10 >/dev/null && $RT ping -c1 -W1 203.0.113.2 >/dev/null
}

# ---- capture and export --------------------------------------------------------------

SFLOW_PORTS=(39301 39302)
capture_start() { # name
    local name=$1
    $RT tcpdump -q -i rout -s 96 -U -w "$RAW/$name.pcap" >/dev/null 2>&1 & CAPS=($!)
    $RT tcpdump -q -i lo -s 0 -U -w "$T/sflow1.pcap" udp port ${SFLOW_PORTS[0]} >/dev/null 2>&1 & CAPS+=($!)
    $RT tcpdump -q -i lo -s 0 -U -w "$T/sflow10.pcap" udp port ${SFLOW_PORTS[1]} >/dev/null 2>&1 & CAPS+=($!)
    local n
    for n in 1 10; do
        local port=${SFLOW_PORTS[0]}
        [ $n = 10 ] && port=${SFLOW_PORTS[1]}
        cat >"$T/pm$n.conf" <<CONF
daemonize: false
pcap_interface: rout
plugins: sfprobe
sfprobe_receiver: 127.0.0.1:$port
sfprobe_agentip: 203.0.113.1
sampling_rate: $n
CONF
        $RT pmacctd -f "$T/pm$n.conf" >>"$T/bg.log" 2>&1 & CAPS+=($!)
    done
    sleep 2
}
capture_stop() { # name
    sleep 3
    local p
    # pmacctd first (it flushes its last datagram on exit), then the captures
    for p in "${CAPS[@]:3}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${CAPS[@]:0:3}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    mkdir -p "$HERE/$1"
    cp "$T/sflow1.pcap" "$HERE/$1/pmacct-sflow.pcap"
    cp "$T/sflow10.pcap" "$HERE/$1/pmacct-sflow-s10.pcap"
}
export_softflowd() { # name
    local name=$1 v port=39310 out cap
    for v in 5 9 10; do
        port=$((port + 1))
        out=softflowd-v$v.pcap
        [ $v = 10 ] && out=softflowd-ipfix.pcap
        tcpdump -q -i lo -s 0 -U -w "$HERE/$name/$out" udp port $port >/dev/null 2>&1 & cap=$!
        sleep 1.5
        softflowd -r "$RAW/$name.pcap" -n 127.0.0.1:$port -v $v -d >/dev/null 2>&1
        sleep 1
        kill -INT $cap; wait $cap 2>/dev/null || true
    done
}

# ---- scenarios -----------------------------------------------------------------------
# Each runs between capture_start and capture_stop and labels what it does.

sc_scan_h() { # nmap SYN scan of the home /24 on one port (30 hosts exist, 5 listen)
    bg $IN python3 "$HERE/helpers.py" listen 22 198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.13 198.51.100.14
    sleep 0.5
    label scan.horizontal 203.0.113.10 null
    $OUT nmap -sS -Pn -n -T4 -p 22 -e out0 -S 203.0.113.10 198.51.100.0/24 >>"$T/bg.log" 2>&1
}
sc_scan_v() { # nmap SYN scan of ports 1-2000 of one host
    label scan.vertical 203.0.113.11 198.51.100.10
    $OUT nmap -sS -Pn -n -T4 -p 1-2000 -e out0 -S 203.0.113.11 198.51.100.10 >>"$T/bg.log" 2>&1
}
sc_scan_udp() { # nmap UDP scan of ports 1-2000 of one host (its ICMP rate limit is off)
    # 2,000 ports like the TCP scan: at 1:10 sampling 500 ports would show ~50, under the
    # 100 distinct ports of scan_v_ports
    label scan.vertical 203.0.113.12 198.51.100.11
    $OUT nmap -sU -Pn -n -T4 -p 1-2000 -e out0 -S 203.0.113.12 198.51.100.11 >>"$T/bg.log" 2>&1
}
# The floods last 2 s at -i u400 (measured ~1,700 SYN/s; -i u1000 gives under the 1,000
# packets/s of flood_pps, --flood fills the capture): short, to keep the captures small.
sc_flood_syn() { # hping3 SYN flood from one host
    label flood.syn 203.0.113.13 198.51.100.20
    $OUT timeout -s INT 2 hping3 -q -S -p 80 -i u400 -I out0 -a 203.0.113.13 198.51.100.20 >>"$T/bg.log" 2>&1 || true
}
sc_flood_spoofed() { # hping3 --rand-source; an nft rule maps the random sources into 198.18.0.0/15
    $OUT nft -f - <<'NFT'
table ip fhspoof {
    chain out {
        type filter hook output priority 0; policy accept;
        ip daddr 198.51.100.21 tcp dport 80 ip saddr set ip saddr & 0.1.255.255 | 198.18.0.0
    }
}
NFT
    label flood.syn 0.0.0.0 198.51.100.21
    $OUT timeout -s INT 2 hping3 -q -S -p 80 -i u400 -I out0 --rand-source 198.51.100.21 >>"$T/bg.log" 2>&1 || true
    $OUT nft delete table ip fhspoof
}
sc_flood_udp() { # hping3 UDP flood from one host to an inside DNS server's port
    label flood.udp 203.0.113.14 198.51.100.23
    $OUT timeout -s INT 2 hping3 -q --udp -p 53 -d 64 -i u400 -I out0 -a 203.0.113.14 198.51.100.23 >>"$T/bg.log" 2>&1 || true
}
sc_flood_icmp() { # hping3 ICMP echo flood from one host
    label flood.icmp 203.0.113.15 198.51.100.24
    $OUT timeout -s INT 2 hping3 -q --icmp -d 64 -i u400 -I out0 -a 203.0.113.15 198.51.100.24 >>"$T/bg.log" 2>&1 || true
}
sc_worm() { # four inside hosts at once, each scanning port 445 of 192.0.2.0/24 (200 hosts
    # answer with a RST): a worm spreading (worm_sources: 3), each also a horizontal scan
    label worm 0.0.0.0 null
    local h p=()
    for h in 31 32 33 34; do
        label scan.horizontal 198.51.100.$h null
        $IN nmap -sS -Pn -n -T4 -p 445 -e in0 -S 198.51.100.$h 192.0.2.0/24 >>"$T/bg.log" 2>&1 & p+=($!)
    done
    wait "${p[@]}" || true
}
sc_dns_tunnel() { # iodine (DNS only: -r) from 198.51.100.30 to iodined at 192.0.2.53, data pushed through
    $OUT iodined -f -c -P fhpass -l 192.0.2.53 -p 53 198.18.5.1/27 t.example.org >>"$T/bg.log" 2>&1 & PIDS+=($!)
    $IN ip route add 192.0.2.53/32 via 198.51.100.1 src 198.51.100.30
    sleep 1
    label dns.tunnel 198.51.100.30 192.0.2.53
    $IN iodine -f -r -P fhpass 192.0.2.53 t.example.org >>"$T/bg.log" 2>&1 & PIDS+=($!)
    local i
    for i in $(seq 30); do $IN ping -c1 -W1 198.18.5.1 >/dev/null 2>&1 && break; sleep 0.5; done
    $IN ping -q -c 60 -i 0.2 -s 600 198.18.5.1 >>"$T/bg.log" 2>&1 || true
    stop_pids
    $IN ip route del 192.0.2.53/32
}
sc_open_resolver() { # dnsmasq inside answering 200 outside clients (2 queries each)
    # (an abused open resolver has hundreds of clients; with 40, sFlow at 1:10 samples
    # fewer answers than the 20 distinct clients of resolver_clients)
    bg $IN dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts --bind-interfaces \
        --listen-address=198.51.100.53 --address=/example.org/192.0.2.200 --pid-file="$T/dm.pid"
    sleep 1
    label dns.open_resolver 198.51.100.53 null
    local i j
    for i in $(seq 10 209); do
        for j in 1 2; do
            $OUT dig +tries=1 +time=1 -b 192.0.2.$i @198.51.100.53 host$i-$j.example.org A >/dev/null 2>&1 || true
        done
    done
    stop_pids
}
sc_spam() { # swaks from 198.51.100.40 to 100 outside MX (aiosmtpd), one message each
    # (100, not 30: at 1:10 sampling 30 short sessions show fewer than spam_targets servers)
    bg $OUT /usr/bin/python3 -m aiosmtpd -n -l 0.0.0.0:25
    sleep 1.5
    label spam.smtp 198.51.100.40 null
    local i
    for i in $(seq 10 109); do
        $IN swaks --server 192.0.2.$i --local-interface 198.51.100.40 --from sales@example.net \
            --to user$i@example.org --header 'Subject: offer' >/dev/null 2>&1 || true
    done
    stop_pids
}
ssh_server() { # dropbear on 192.0.2.22 with a throw-away key; /root hidden by a private mount
    mkdir -p "$T/home/.ssh"
    chmod 700 "$T/home" "$T/home/.ssh"
    [ -f "$T/key" ] || ssh-keygen -q -t ed25519 -N '' -f "$T/key"
    cp "$T/key.pub" "$T/home/.ssh/authorized_keys"
    chmod 600 "$T/home/.ssh/authorized_keys"
    [ -f "$T/hostkey" ] || dropbearkey -t ed25519 -f "$T/hostkey" >/dev/null 2>&1
    bg $OUT unshare -m --propagation private sh -c \
        "mount --bind '$T/home' /root && exec dropbear -F -E -s -p 192.0.2.22:22 -r '$T/hostkey' -P '$T/db.pid'"
    sleep 1
}
SSH_OPTS=(-i "$T/key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR)
sc_ssh_bulk() { # ssh from 198.51.100.22: 600 kB/s of random bytes for 20 s (time-compressed)
    ssh_server
    label tunnel.ssh 198.51.100.22 192.0.2.22
    python3 "$HERE/helpers.py" rate 600 20 | $IN ssh "${SSH_OPTS[@]}" -b 198.51.100.22 root@192.0.2.22 'cat >/dev/null' >>"$T/bg.log" 2>&1 || true
    stop_pids
}
sc_http_thin() { # one TCP connection to 192.0.2.80:443 held 45 s, a short request every 3 s
    bg $OUT python3 "$HERE/helpers.py" echo 443 192.0.2.80
    sleep 0.5
    label tunnel.http 198.51.100.80 192.0.2.80
    $IN python3 "$HERE/helpers.py" thin 192.0.2.80:443 198.51.100.80 45 3 >>"$T/bg.log" 2>&1 || true
    stop_pids
}
sc_bittorrent() { # opentracker + 5 outside aria2c seeders; aria2c leecher at 198.51.100.60
    mkdir -p "$T/bt/seed" "$T/bt/leech"
    head -c 3000000 /dev/urandom >"$T/bt/seed/data.bin"
    mktorrent -a http://203.0.113.250:6969/announce -l 16 -o "$T/bt/data.torrent" "$T/bt/seed/data.bin" >/dev/null
    # Debian's opentracker serves only the info hashes of its whitelist (read after it
    # chroots to -d and drops to nobody)
    aria2c -S "$T/bt/data.torrent" | sed -n 's/^Info Hash: //p' >"$T/bt/wl"
    chmod 755 "$T" "$T/bt"
    chmod 644 "$T/bt/wl"
    bg $OUT opentracker -i 203.0.113.250 -p 6969 -P 6969 -d "$T/bt" -w wl
    sleep 0.5
    local i
    for i in 1 2 3 4 5; do
        bg $OUT aria2c --interface=203.0.113.20$i --listen-port=688$i --enable-dht=false \
            --enable-peer-exchange=false --seed-ratio=0.0 --bt-seed-unverified=true \
            --check-integrity=false -d "$T/bt/seed" "$T/bt/data.torrent"
    done
    sleep 2
    label p2p.bittorrent 198.51.100.60 null
    $IN timeout 40 aria2c --interface=198.51.100.60 --listen-port=6889 --enable-dht=false \
        --seed-time=0 --max-upload-limit=1 -d "$T/bt/leech" "$T/bt/data.torrent" >>"$T/bg.log" 2>&1 || true
    stop_pids
}
sc_background() { # legitimate heavy hitters: none of this may raise an alert
    mkdir -p "$T/www"
    head -c 3000000 /dev/urandom >"$T/www/big.bin"
    bg $OUT python3 -m http.server --bind 192.0.2.80 --directory "$T/www" 80
    # the campus resolver forwards to an outside server; its clients are inside
    bg $OUT dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts --bind-interfaces \
        --listen-address=192.0.2.53 --address=/example.org/192.0.2.80 --pid-file="$T/dm2.pid"
    bg $IN dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts --bind-interfaces \
        --listen-address=198.51.100.53 --server=192.0.2.53@198.51.100.53 --cache-size=0 --pid-file="$T/dm1.pid"
    bg $OUT /usr/bin/python3 -m aiosmtpd -n -l 0.0.0.0:25
    ssh_server
    sleep 1
    # long busy interactive SSH
    ( python3 "$HERE/helpers.py" type 50 0.25 | $IN ssh -tt "${SSH_OPTS[@]}" -b 198.51.100.23 root@192.0.2.22 ) >>"$T/bg.log" 2>&1 & local sshp=$!
    # heavy downloads
    local i
    for i in 101 102 103; do
        $IN curl -s -o /dev/null --interface 198.51.100.$i http://192.0.2.80/big.bin || true
    done
    # the campus's lookups: 400 names through the resolver
    for i in $(seq 400); do
        $IN dig +tries=1 +time=1 -b 198.51.100.$((10 + i % 30)) @198.51.100.53 www$i.campus-cdn.example.org A >/dev/null 2>&1 || true
    done &
    local digp=$!
    # the mail server 198.51.100.25 delivers to a few MX
    for i in 100 101 102 103 104 100 101 102; do
        $IN swaks --server 203.0.113.$i --local-interface 198.51.100.25 --from news@example.net \
            --to list$i@example.org >/dev/null 2>&1 || true
        sleep 2
    done
    wait $digp || true
    wait $sshp || true
    stop_pids
}

# ---- main ----------------------------------------------------------------------------

setup
for s in "${SCENARIOS[@]}"; do
    echo "== $s"
    mkdir -p "$HERE/$s"
    LABELS="$HERE/$s/labels.jsonl"
    : >"$LABELS"
    capture_start "$s"
    "sc_$s"
    capture_stop "$s"
    export_softflowd "$s"
    ls -la "$RAW/$s.pcap" "$HERE/$s"
done
