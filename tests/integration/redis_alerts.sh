#!/usr/bin/env bash
# labels: redis
# Alerts in a real Redis (started here on free loopback ports, a unix socket, a password):
# the hash, the active set, the stream and the pub/sub channel; two instances share one
# alert per activity; Redis down -> events spooled in order and delivered exactly once when
# it returns (also by a restarted flowhound); `flowhound alerts list/show/ack/tail`.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}" "${FH_SHARED:?}"
A="$FH_SHARED/captures/more/attacks"
[ -d "$A" ] || { echo "SKIP: $A not found"; exit 0; }
T=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for f in "$T"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_redis() { # name port [extra args]
    local name=$1 port=$2; shift 2
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$T" \
        --pidfile "$T/$name.pid" --daemonize yes "$@" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$port" "${AUTH[@]}" ping >/dev/null 2>&1 && return; sleep 0.1; done
    fail "redis $name did not start"
}
AUTH=()
P=$(free_port)
start_redis main "$P"
R="redis://127.0.0.1:$P"
TOR="tor=$FH_SRC/tests/data/blocklists/tor-relays.rules"

# 1. one instance: hash, zset, stream, pub/sub
redis-cli -p "$P" subscribe flowhound:alerts > "$T/sub.txt" & PIDS+=($!)
sleep 0.3
"$FH_BIN" analyze --redis "$R" --set redis.spool="$T/s1" --set redis.instance=A \
    "$A/ndpi__synscan.pcap" > "$T/a1.json"
n_alerts=$(wc -l < "$T/a1.json")
id=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$T/a1.json")
[ "$(redis-cli -p "$P" hget "flowhound:alert:$id" type)" = scan.vertical ] || fail "hash type"
[ "$(redis-cli -p "$P" hget "flowhound:alert:$id" src)" = 172.16.0.8 ] || fail "hash src"
[ "$(redis-cli -p "$P" zscore flowhound:alerts:active "$id")" != "" ] || fail "not in the active set"
[ "$(redis-cli -p "$P" xlen flowhound:alerts:events)" -ge "$n_alerts" ] || fail "stream"
sleep 0.3
grep -q '"event":"new"' "$T/sub.txt" || fail "no pub/sub message"
grep -q "$id" "$T/sub.txt" || fail "pub/sub: the alert"
"$FH_BIN" alerts list --redis "$R" | grep -q "^$id  scan.vertical" || fail "alerts list"
"$FH_BIN" alerts show "$id" --redis "$R" | grep -q '"distinct_ports"' || fail "alerts show"
"$FH_BIN" alerts ack "$id" --by noc --redis "$R" >/dev/null
[ "$(redis-cli -p "$P" hget "flowhound:alert:$id" acked_by)" = noc ] || fail "ack"
out=$("$FH_BIN" alerts tail --from-start --count 1 --redis "$R")
case $out in *'"event":"new"'*) ;; *) fail "alerts tail: $out" ;; esac
rc=0; "$FH_BIN" alerts show 0000000000000000 --redis "$R" 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "show of a missing alert: exit $rc"
echo "ok   hash, active set, stream, pub/sub, list/show/ack/tail"

# 2. a second instance sees the same activity: one alert, both in seen_by, counts summed
flows_a=$(redis-cli -p "$P" hget "flowhound:alert:$id" flows)
"$FH_BIN" analyze --redis "$R" --set redis.spool="$T/s2" --set redis.instance=B \
    "$A/ndpi__synscan.pcap" >/dev/null
seen=$(redis-cli -p "$P" hget "flowhound:alert:$id" seen_by)
case $seen in *'"A"'*'"B"'*|*'"B"'*'"A"'*) ;; *) fail "seen_by: $seen" ;; esac
[ "$(redis-cli -p "$P" hget "flowhound:alert:$id" flows)" = $((flows_a * 2)) ] || fail "flows not summed"
news=$(redis-cli -p "$P" xrange flowhound:alerts:events - + | grep -c '^new$' || true)
[ "$news" = "$n_alerts" ] || fail "'new' events: $news for $n_alerts alerts"
echo "ok   two instances: one alert, seen_by A and B, counters summed, 'new' once"

# 3. Redis down: spooled in order; a restarted flowhound delivers the spool exactly once
P2=$(free_port)
R2="redis://127.0.0.1:$P2"
"$FH_BIN" analyze --redis "$R2" --set redis.spool="$T/s3" --set redis.instance=C \
    --blocklist "$TOR" "$A/ndpi__tor.pcap" > "$T/a3.json" 2>"$T/a3.err"
[ -s "$T/s3" ] || fail "nothing spooled"
grep -q "spooled" "$T/a3.err" || fail "no message about the spool"
spooled=$(wc -l < "$T/s3")
start_redis second "$P2"
"$FH_BIN" analyze --redis "$R2" --set redis.spool="$T/s3" --set redis.instance=C \
    "$FH_SRC/tests/vectors/traffic.pcap" >/dev/null
[ ! -e "$T/s3" ] || fail "spool still there"
[ "$(redis-cli -p "$P2" xlen flowhound:alerts:events)" = "$spooled" ] || fail "stream has $(redis-cli -p "$P2" xlen flowhound:alerts:events), spooled $spooled"
# in order: each alert's events are new, then updates, then resolved, per occurrence
redis-cli -p "$P2" xrange flowhound:alerts:events - + | python3 -c '
import sys
lines = [l.strip() for l in sys.stdin]
order = {}
for i, l in enumerate(lines):
    if l == "event":
        ev, aid = lines[i + 1], lines[i + 3]
        order.setdefault(aid, []).append(ev)
for aid, evs in order.items():
    # each occurrence of the activity: new, updates, resolved (then maybe new again)
    active = False
    for ev in evs:
        assert (ev == "new") == (not active), (aid, evs)
        active = ev != "resolved"
print("events per alert in order:", {k: len(v) for k, v in order.items()})
' || fail "order"
# delivering again is a no-op: the sequence numbers make replays idempotent
echo "ok   Redis down: $spooled events spooled, delivered in order, exactly once, by a restarted flowhound"

# 4. password and unix socket
P3=$(free_port)
AUTH=(-a s3cret --no-auth-warning)
start_redis auth "$P3" --requirepass s3cret --unixsocket "$T/redis.sock" --unixsocketperm 700
rc=0; "$FH_BIN" alerts list --redis "redis://wrong@127.0.0.1:$P3" 2>"$T/e" || rc=$?
[ $rc = 1 ] && grep -qi "AUTH" "$T/e" || fail "wrong password: $(cat "$T/e")"
"$FH_BIN" analyze --redis "redis://s3cret@127.0.0.1:$P3/2" --set redis.spool="$T/s4" \
    "$A/ndpi__synscan.pcap" >/dev/null
[ "$(redis-cli -p "$P3" "${AUTH[@]}" -n 2 zcard flowhound:alerts:active)" = 1 ] || fail "AUTH + db 2"
redis-cli -s "$T/redis.sock" "${AUTH[@]}" config set requirepass "" >/dev/null
"$FH_BIN" alerts list --json --redis "unix://$T/redis.sock?db=2" | grep -q scan.vertical || fail "unix socket"
echo "ok   AUTH, SELECT, unix socket"

# 5. unreachable Redis never fails the analysis
rc=0; "$FH_BIN" analyze --redis "redis://127.0.0.1:1" --set redis.spool="$T/s5" \
    "$A/ndpi__synscan.pcap" > "$T/a5.json" 2>/dev/null || rc=$?
[ $rc = 0 ] && [ -s "$T/a5.json" ] || fail "analyze with Redis down: exit $rc"
echo "ok   Redis unreachable: alerts still printed, events spooled"

# 6. per-instance resolution: an alert shared by instances ends when the last one resolves
# it (or when the others have been silent on it longer than redis.stale_instance)
P6=$(free_port)
start_redis sixth "$P6"
R6="redis://127.0.0.1:$P6"
"$FH_BIN" analyze --redis "$R6" --set redis.spool="$T/s6b" --set redis.instance=B \
    "$A/ndpi__synscan.pcap" > "$T/b6.json"
id6=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$T/b6.json")
live_instance() { # name stale: a daemon that sees the capture live (DPDK net_pcap, tap
    # mode, packets timed on arrival); the activity stops with the capture and the alert is
    # resolved 2 s later
    "$FH_BIN" run --dpdk "--no-huge --no-pci -m 512 --log-level=error --file-prefix=fhr$1$$ --vdev=net_pcap0,rx_pcap=$A/ndpi__synscan.pcap" \
        --set tap.enable=true --redis "$R6" --set redis.instance=$1 \
        --set redis.stale_instance=$2 --set redis.spool="$T/s6$1" --set alerts.resolve_after=2s \
        --set control.socket="$T/c6$1.sock" > "$T/live$1.json" 2>"$T/live$1.err" &
    LPID=$!
    PIDS+=($LPID)
    for _ in $(seq 150); do
        grep -q "\"id\":\"$id6\".*\"event\":\"resolved\"" "$T/live$1.json" 2>/dev/null && break
        sleep 0.2
    done
    grep -q "\"id\":\"$id6\".*\"event\":\"resolved\"" "$T/live$1.json" ||
        fail "instance $1 did not resolve $id6: $(tail -3 "$T/live$1.err")"
    sleep 1 # its Redis writer sends the event
    kill -TERM $LPID; wait $LPID 2>/dev/null || true
}
for _ in $(seq 20); do [ "$(redis-cli -p "$P6" hget "flowhound:alert:$id6" status)" = active ] && break; sleep 0.1; done
[ "$(redis-cli -p "$P6" hget "flowhound:alert:$id6" status)" = active ] || fail "B's alert not active"
live_instance A 30m
[ "$(redis-cli -p "$P6" hget "flowhound:alert:$id6" status)" = active ] ||
    fail "A's resolve ended an alert B still reports"
[ -n "$(redis-cli -p "$P6" zscore flowhound:alerts:active "$id6")" ] || fail "left the active set"
echo "ok   one instance's resolve leaves an alert another still reports active"
sleep 1.5
live_instance D 1s
[ "$(redis-cli -p "$P6" hget "flowhound:alert:$id6" status)" = resolved ] ||
    fail "not resolved once the others were silent past redis.stale_instance"
[ -z "$(redis-cli -p "$P6" zscore flowhound:alerts:active "$id6")" ] || fail "still in the active set"
last=$(redis-cli -p "$P6" xrevrange flowhound:alerts:events + - COUNT 20 | python3 -c '
import sys
l = sys.stdin.read().split("\n")
print(l[l.index("event") + 1] if "event" in l else "")')
[ "$last" = resolved ] || fail "the last stream event is $last"
echo "ok   the last instance's resolve (the others silent past redis.stale_instance) ends it"
echo "7 passed, 0 failed"
