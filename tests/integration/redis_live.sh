#!/usr/bin/env bash
# labels: redis
# `flowhound run --redis` under live traffic while Redis is killed (SIGKILL) and restarted:
# every alert event the daemon printed on stdout reaches the Redis stream, in the same order,
# none twice. Also an ACL user with only the commands the sink needs.
set -euo pipefail
: "${FH_BIN:?}" "${FH_BUILD:?}" "${FH_SRC:?}"
T=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$T/r.pid" ] && kill "$(cat "$T/r.pid")" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RP=$(free_port)
start_redis() {
    # append-only with fsync on every write: what Redis acknowledged survives the kill
    redis-server --bind 127.0.0.1 --port "$RP" --save '' --appendonly yes --appendfsync always --dir "$T" \
        --pidfile "$T/r.pid" --daemonize yes "$@" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$RP" ping >/dev/null 2>&1 && return; sleep 0.1; done
    fail "redis did not start"
}
start_redis
# an ACL user with only what the sink uses (docs/redis.md)
redis-cli -p "$RP" ACL SETUSER collector on '>c0llect' '~flowhound:*' '&flowhound:alerts' \
    +evalsha +script\|load +ping +select +get +set +exists +hset +hget +hgetall +sadd \
    +smembers +zadd +zrem +expire +persist +xadd +publish >/dev/null
UP=$(free_port)
"$FH_BIN" run --listen 127.0.0.1:$UP --home-net 198.18.0.0/15 --set control.socket=$T/c.sock \
    --redis "redis://collector:c0llect@127.0.0.1:$RP" --set redis.spool=$T/spool \
    --set redis.instance=live --set flowtable.capacity=100000 >"$T/events.json" 2>"$T/run.err" &
RUN=$!; PIDS+=($RUN)
for _ in $(seq 50); do [ -S "$T/c.sock" ] && break; sleep 0.1; done
# 3 activities over ~6 s of sending; Redis is killed after 2 s and back 2 s later
"$FH_BUILD/bench/fh-gen" --format ipfix --flows 60000 --hosts 2000 \
    --inject scan.horizontal@20,flood.syn@120,dns.tunnel@200 --start $(( $(date +%s) - 300 )) \
    --send 127.0.0.1:$UP --rate 400 >/dev/null 2>&1 &
GEN=$!; PIDS+=($GEN)
sleep 2
kill -9 "$(cat "$T/r.pid")"; rm -f "$T/r.pid"
sleep 2
[ -s "$T/spool" ] || echo "note: nothing spooled while Redis was down (no events then)"
start_redis
redis-cli -p "$RP" ACL SETUSER collector on '>c0llect' '~flowhound:*' '&flowhound:alerts' \
    +evalsha +script\|load +ping +select +get +set +exists +hset +hget +hgetall +sadd \
    +smembers +zadd +zrem +expire +persist +xadd +publish >/dev/null
wait $GEN
sleep 2
kill -TERM $RUN; wait $RUN || fail "run exit"
python3 - "$T/events.json" "$RP" <<'PY'
import json, subprocess, sys
printed = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")]
assert printed, "no alert events printed"
out = subprocess.run(["redis-cli", "-p", sys.argv[2], "xrange", "flowhound:alerts:events", "-", "+"],
                     capture_output=True, text=True, check=True).stdout.split("\n")
stream = []
for i, l in enumerate(out):
    if l == "event":
        stream.append((out[i + 3], l and out[i + 1]))  # (id, event) as the script recorded it
ids_printed = [p["id"] for p in printed]
ids_stream = [s[0] for s in stream]
assert len(ids_stream) == len(ids_printed), ("count", len(ids_stream), len(ids_printed))
assert ids_stream == ids_printed, "order differs"
print("%d events printed, the same %d in the Redis stream, in order, none twice" %
      (len(printed), len(stream)))
PY
grep -q "Redis" "$T/run.err" && grep "Redis" "$T/run.err" | head -2 || true
echo "1 passed, 0 failed"
