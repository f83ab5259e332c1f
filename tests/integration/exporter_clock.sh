#!/usr/bin/env bash
# An exporter whose clock is not ours, live (`flowhound run`): a SYN flood exported by
# softflowd (tests/scenarios/flood_syn, captured hours or days before this run) is sent to
# the daemon as if the exporter's clock were that far behind. With times as exported (the
# default) its alert resolves at the next tick while the flood goes on, since the live
# watermark is our clock, and the log says so; with decoder.clock_tolerance its flows' times
# are moved onto our clock: the alert stays active, and the stored flows are at our time.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}"
source "$FH_SRC/tests/tools/testlib.sh"
CAP="$FH_SRC/tests/scenarios/flood_syn/softflowd-v5.pcap"
wait_sock() { for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done; fail "no control socket $1"; }
# events NAME FILE: how many events of that name the alert stream has for flood.syn
events() { python3 -c 'import json,sys
print(sum(1 for l in open(sys.argv[2]) if l.startswith("{") and json.loads(l).get("type") == "flood.syn" and json.loads(l).get("event") == sys.argv[1]))' "$1" "$2"; }

# the capture's export header time against ours: how far behind its clock is now
behind=$(python3 -c 'import struct,sys,time
d = open(sys.argv[1], "rb").read(); off = 24
incl = struct.unpack("<I", d[off + 8:off + 12])[0]; f = d[off + 16:off + 16 + incl]
p = f[14 + (f[14] & 15) * 4 + 8:]
print(int(time.time() * 1000) - struct.unpack(">I", p[8:12])[0] * 1000)' "$CAP")
[ "$behind" -gt 60000 ] || fail "the capture's clock is only $behind ms behind ours"

run() { # NAME [--set ...]: the daemon on a free port, the capture sent to it
    local name=$1
    shift
    local port
    port=$(free_udp_port)
    "$FH_BIN" run --listen 127.0.0.1:$port --home-net 198.51.100.0/24 \
        --set control.socket=$T/$name.sock --set store.dir=$T/$name.store "$@" \
        >"$T/$name.out" 2>"$T/$name.err" & PIDS+=($!); RUN=$!
    wait_sock "$T/$name.sock"
    start_s=$(date +%s)
    sent=$(python3 "$FH_SRC/tests/tools/send_pcap.py" 127.0.0.1 "$port" "$CAP")
    for _ in $(seq 40); do
        sleep 0.25
        "$FH_BIN" stats --json --control "$T/$name.sock" > "$T/$name.json"
        [ "$(jget "$T/$name.json" "['datagrams']")" = "$sent" ] && break
    done
    [ "$(jget "$T/$name.json" "['datagrams']")" = "$sent" ] || fail "$name: datagrams"
    # three ticks of the shard (one a second) and the control thread's look at the clocks
    # (every 5 s)
    for _ in $(seq 40); do
        sleep 0.25
        grep -q "exporter 127.0.0.1: its clock is" "$T/$name.err" && break
    done
    sleep 3
    "$FH_BIN" stats --json --control "$T/$name.sock" > "$T/$name.json"
    kill -TERM $RUN
    wait $RUN || fail "$name: run exited non-zero"
}

# 1. times as exported: the offset measured and said; the alert resolved at once
run exported
off=$(jget "$T/exported.json" "['exporters'][0]['clock_offset_ms']")
# the capture's datagrams are sent within a second or so; its header times span minutes
[ "$off" -gt $((behind - 900000)) ] && [ "$off" -le $((behind + 60000)) ] ||
    fail "exported: clock_offset_ms $off, the capture is $behind ms behind"
[ "$(jget "$T/exported.json" "['exporters'][0]['clock_corrected']")" = 0 ] || fail "exported: records moved"
grep -q "exporter 127.0.0.1: its clock is .* s behind ours .*set decoder.clock_tolerance" "$T/exported.err" ||
    fail "exported: no warning in the log: $(cat "$T/exported.err")"
[ "$(events new "$T/exported.out")" -ge 1 ] || fail "exported: no flood.syn alert"
[ "$(events resolved "$T/exported.out")" -ge 1 ] || fail "exported: the alert was not resolved (the control case)"
echo "times as exported: clock ${off} ms behind, said in the log; the flood's alert resolved at once"

# 2. decoder.clock_tolerance: the flows on our clock, the alert active
run moved --set decoder.clock_tolerance=30s
recs=$(jget "$T/moved.json" "['records']")
[ "$(jget "$T/moved.json" "['exporters'][0]['clock_corrected']")" = "$recs" ] || fail "moved: not every record moved"
grep -q "exporter 127.0.0.1: its clock is .* s behind ours.*moved onto ours" "$T/moved.err" ||
    fail "moved: the log does not say the times are moved: $(cat "$T/moved.err")"
[ "$(events new "$T/moved.out")" = 1 ] || fail "moved: flood.syn new events: $(events new "$T/moved.out")"
[ "$(events resolved "$T/moved.out")" = 0 ] || fail "moved: the alert resolved while the flood went on"
# the stored flows: at our time (the run's minutes), not the capture's
"$FH_BIN" query -R "$T/moved.store" -c 100000 -o csv > "$T/q.csv" 2>/dev/null
python3 - "$T/q.csv" "$start_s" <<'EOF' || fail "moved: stored flows not at our time"
import csv, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1])))
start = int(sys.argv[2])
assert rows, "no flows stored"
for r in rows:
    v = r['first']
    t = datetime.datetime.fromisoformat(v.replace('Z', '+00:00')).timestamp() \
        if not v.isdigit() else int(v) / 1000
    assert start - 600 <= t <= start + 120, (v, start)
print(len(rows), "flows stored at our time")
EOF
echo "decoder.clock_tolerance: $recs records moved onto our clock, the flood's alert stays active"
