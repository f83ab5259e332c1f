#!/usr/bin/env bash
# labels: dpdk
# `flowhound run` end to end: the socket path and the DPDK path (net_pcap vdev, --no-huge
# --no-pci) give the same records as `flowhound decode` on the same captures; stats over the
# control socket; reload (command and SIGHUP); the exporter ACL; bad config lines; SIGTERM.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}" "${FH_BUILD:?}"
source "$FH_SRC/tests/tools/testlib.sh"
V="$FH_SRC/tests/vectors"
free_port() { free_udp_port; }
wait_sock() { for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done; fail "no control socket $1"; }

# what decode says about the captures
want=0
for f in softflowd-v9.pcap softflowd-ipfix.pcap pmacct-sflow.pcap; do
    n=$("$FH_BIN" decode "$V/$f" 2>/dev/null | wc -l)
    want=$((want + n))
done

# 1. socket path
port=$(free_port)
"$FH_BIN" run --listen 127.0.0.1:$port --set control.socket=$T/c.sock \
    --set flowtable.capacity=100000 2>"$T/run.err" & PIDS+=($!); RUN=$!
wait_sock "$T/c.sock"
sent=$(python3 "$FH_SRC/tests/tools/send_pcap.py" 127.0.0.1 $port "$V/softflowd-v9.pcap" \
    "$V/softflowd-ipfix.pcap" "$V/pmacct-sflow.pcap")
for _ in $(seq 30); do
    sleep 0.5
    "$FH_BIN" stats --json --control "$T/c.sock" > "$T/s.json"
    [ "$(jget "$T/s.json" "['records']")" = "$want" ] && break
done
[ "$(jget "$T/s.json" "['datagrams']")" = "$sent" ] || fail "socket: datagrams $(jget "$T/s.json" "['datagrams']") != sent $sent"
[ "$(jget "$T/s.json" "['records']")" = "$want" ] || fail "socket: records $(jget "$T/s.json" "['records']") != decode's $want"
[ "$(jget "$T/s.json" "['drops']")" = 0 ] || fail "socket: drops"
[ "$(jget "$T/s.json" "['analytics'][0]['events']")" -gt 0 ] || fail "no flow events reached analytics"
txt=$("$FH_BIN" stats --control "$T/c.sock")
case ${txt%%$'\n'*} in *"records $want "*) ;; *) fail "stats text: ${txt%%$'\n'*}" ;; esac
echo "socket path: $sent datagrams, $want records, as decode"

# reload: by command and by SIGHUP
[ "$("$FH_BIN" reload --control "$T/c.sock")" = reloaded ] || fail "reload command"
kill -HUP $RUN
sleep 0.6
"$FH_BIN" stats --json --control "$T/c.sock" > "$T/s.json"
[ "$(jget "$T/s.json" "['reloads']")" = 2 ] || fail "reloads: $(jget "$T/s.json" "['reloads']")"
kill -TERM $RUN
wait $RUN || fail "run exited non-zero after SIGTERM"
grep -q '"flush":' "$T/run.err" || fail "no final counters"
echo "reload and SIGTERM ok"

# the final flush: 20,000 sFlow flows still alive at SIGTERM, rings of 1,024 events: the
# worker waits for the shard instead of dropping (before: most of them dropped at the ring)
port=$(free_port)
"$FH_BIN" run --listen 127.0.0.1:$port --set control.socket=$T/f.sock --set flowtable.ring=1024 \
    2>"$T/flush.err" & PIDS+=($!); RUN=$!
wait_sock "$T/f.sock"
"$FH_BUILD/bench/fh-gen" --format sflow --flows 20000 --duration 2 --seed 5 \
    --send 127.0.0.1:$port --rate 5000 >/dev/null 2>&1
for _ in $(seq 30); do
    sleep 0.5
    "$FH_BIN" stats --json --control "$T/f.sock" > "$T/s.json"
    [ "$(jget "$T/s.json" "['records']")" = 20000 ] && break
done
[ "$(jget "$T/s.json" "['records']")" = 20000 ] || fail "flush: records $(jget "$T/s.json" "['records']")"
kill -TERM $RUN
wait $RUN || fail "run exited non-zero after SIGTERM (flush)"
final=$(sed -n 's/^flowhound: stopped; final counters: //p' "$T/flush.err")
[ -n "$final" ] || fail "flush: no final counters"
echo "$final" > "$T/final.json"
[ "$(jget "$T/final.json" "['workers'][0]['ring_drops']")" = 0 ] || fail "flush: ring drops $(jget "$T/final.json" "['workers'][0]['ring_drops']")"
ev=$(jget "$T/final.json" "['analytics'][0]['events']")
fl=$(jget "$T/final.json" "['workers'][0]['expired']['flush']")
[ "$fl" -gt 1024 ] || fail "flush: only $fl flows left at SIGTERM, the ring was never full"
[ "$ev" = 20000 ] || fail "flush: $ev flow events analysed of 20000 flows"
echo "final flush of $fl flows through rings of 1,024: nothing dropped"

# live, a shard behind its worker: rings of 1,024 events, and a shard that also writes flow
# files, take 150,000 IPFIX records sent as fast as fh-gen can. With flowtable.ring_wait 0 (the
# behaviour before) the rings overflow and records the worker had accepted are dropped: the
# control, which shows that this load does fill the rings. With the default wait, the worker
# waits for room: every record it accepted is analysed and stored (a loss, if any, is the
# socket's, before acceptance, and counted as kernel_drops).
live_ring() { # ring_wait -> $T/live.json (final counters)
    port=$(free_port)
    rm -rf "$T/lstore"
    "$FH_BIN" run --listen 127.0.0.1:$port --set control.socket=$T/l.sock \
        --set flowtable.ring=1024 --set flowtable.ring_wait="$1" --set store.dir="$T/lstore" \
        2>"$T/live.err" & PIDS+=($!); RUN=$!
    wait_sock "$T/l.sock"
    "$FH_BUILD/bench/fh-gen" --format ipfix --flows 150000 --duration 60 --seed 9 \
        --send 127.0.0.1:$port --rate 1000000 >/dev/null 2>&1
    sleep 2
    kill -TERM $RUN
    wait $RUN || fail "run exited non-zero after SIGTERM (live ring, wait $1)"
    rm -f "$T/l.sock"
    sed -n 's/^flowhound: stopped; final counters: //p' "$T/live.err" > "$T/live.json"
    [ -s "$T/live.json" ] || fail "live ring: no final counters"
}
live_ring 0
drops0=$(jget "$T/live.json" "['workers'][0]['ring_drops']")
[ "$drops0" -gt 0 ] || fail "live ring, no wait: no ring drops, the load never filled the rings"
live_ring 1s
rec=$(jget "$T/live.json" "['records']")
ev=$(jget "$T/live.json" "['analytics'][0]['events']")
kd=$(jget "$T/live.json" "['workers'][0]['kernel_drops']")
[ "$(jget "$T/live.json" "['workers'][0]['ring_drops']")" = 0 ] || fail "live ring: ring drops $(jget "$T/live.json" "['workers'][0]['ring_drops']")"
[ "$(jget "$T/live.json" "['workers'][0]['ring_waits']")" -gt 0 ] || fail "live ring: the worker never waited"
[ "$ev" = "$rec" ] || fail "live ring: $ev flow events analysed of $rec records accepted"
[ "$rec" -gt 100000 ] || fail "live ring: only $rec of 150000 records accepted"
echo "live, rings of 1,024: no wait, $drops0 accepted records dropped; waiting, $ev of $rec analysed ($kd lost in the socket)"

# 2. exporter ACL: 127.0.0.1 is not in 192.0.2.0/24
port=$(free_port)
"$FH_BIN" run --listen 127.0.0.1:$port --set control.socket=$T/d.sock \
    --set exporter.allow=192.0.2.0/24 --set flowtable.capacity=10000 2>/dev/null & PIDS+=($!); RUN=$!
wait_sock "$T/d.sock"
python3 "$FH_SRC/tests/tools/send_pcap.py" 127.0.0.1 $port "$V/softflowd-v9.pcap" >/dev/null
sleep 1.5
"$FH_BIN" stats --json --control "$T/d.sock" > "$T/s.json"
[ "$(jget "$T/s.json" "['records']")" = 0 ] || fail "ACL: records accepted"
[ "$(jget "$T/s.json" "['workers'][0]['denied']")" -gt 0 ] || fail "ACL: nothing denied"
kill -TERM $RUN; wait $RUN || true
echo "exporter ACL ok"

# 3. bad config: file:line: key: reason, exit 2
printf 'workers = 1\nflowtable.capacty = 10\n' > "$T/bad.conf"
rc=0; "$FH_BIN" run -c "$T/bad.conf" 2>"$T/err" || rc=$?
[ $rc = 2 ] || fail "bad config exit $rc"
grep -q "bad.conf:2: flowtable.capacty: unknown key (did you mean flowtable.capacity?)" "$T/err" || fail "message: $(cat "$T/err")"
rc=0; "$FH_BIN" run --set flowtable.inactive_timeout=soon 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "^flowhound: --set: flowtable.inactive_timeout:" "$T/err" || fail "--set message"
echo "config errors ok"

# 4. DPDK path: net_pcap replays the capture
"$FH_BIN" run --dpdk "--no-huge --no-pci -m 512 --log-level=error --file-prefix=fhtest$$ --vdev=net_pcap0,rx_pcap=$V/softflowd-ipfix.pcap" \
    --set control.socket=$T/e.sock --set flowtable.capacity=10000 --set store.dir=$T/store \
    2>"$T/dpdk.err" & PIDS+=($!); RUN=$!
wait_sock "$T/e.sock"
want=$("$FH_BIN" decode "$V/softflowd-ipfix.pcap" 2>/dev/null | wc -l)
for _ in $(seq 30); do
    sleep 0.5
    "$FH_BIN" stats --json --control "$T/e.sock" > "$T/s.json"
    [ "$(jget "$T/s.json" "['records']")" = "$want" ] && break
done
[ "$(jget "$T/s.json" "['input']")" = dpdk ] || fail "dpdk: input"
[ "$(jget "$T/s.json" "['records']")" = "$want" ] || fail "dpdk: records $(jget "$T/s.json" "['records']") != $want; $(cat "$T/dpdk.err")"
[ "$(jget "$T/s.json" "['dpdk_ports'][0]['ipackets']")" -gt 0 ] || fail "dpdk: port stats"
kill -TERM $RUN; wait $RUN || fail "dpdk run exit"
echo "DPDK net_pcap path: $want records, as decode"
# store.dir: every flow in the flow files, complete (renamed) at shutdown
stored=$("$FH_BIN" query -R "$T/store" 2>/dev/null | wc -l)
[ "$stored" = "$want" ] || fail "flow files hold $stored flows, want $want"
[ -z "$(find "$T/store" -name '*.tmp')" ] || fail "a .tmp file left after SIGTERM"
echo "store.dir: $stored flows in the flow files"
echo "1 passed, 0 failed"
