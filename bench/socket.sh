#!/usr/bin/env bash
# The whole daemon through UDP sockets, end to end (no DPDK): `flowhound run --listen` with 1
# and 2 workers (one SO_REUSEPORT socket each, recvmmsg) receives NetFlow v9 exports that
# bench/fh-gen sends over loopback as fast as it can (sendmmsg; 64 exporters, each from its
# own address 127.0.0.(10 + e), so that the kernel's reuseport hash of the source address and
# port spreads them over the workers: the share of worker 0 is printed). Two sends a run:
#   live: RECORDS sent while the daemon receives. On a 2-core machine the sender takes a core
#     from the workers, so this wall-clock rate is the sender's, and the workers, faster than
#     it, wake for a few datagrams at a time;
#   queued: the daemon stopped (SIGSTOP) while fh-gen fills its sockets' receive buffers
#     (collector.rcvbuf = 1G: SO_RCVBUFFORCE, so root; RECORDS / 2, ~1 GB of kernel memory),
#     then resumed: the rate at which the workers drain them, full batches, no sender.
# Wall clock: records decoded / (the first datagram sent, or SIGCONT .. the workers' sockets
# drained, read from /proc/net/udp's receive queues every 5 ms). CPU cost: records decoded
# per CPU-second of the worker threads (utime + stime of /proc/PID/task/TID/stat; the
# daemon names them fh-worker-N), checked to be exactly as many as the workers; also per
# CPU-second of the whole process (workers + analytics shard + idle threads). Losses, never hidden: records
# sent - records decoded; the kernel's socket drops (the daemon's kernel_drops, from
# SO_RXQ_OVFL, which learns of a drop only with the next datagram, and /proc/net/udp's drops
# column); and the flow events the workers could not queue to the analytics shard
# (ring_drops: decoded, not analysed).
# Beside it, in the same run: bench_worker v9 with 1 worker (the worker path on frames in
# memory, one CPU-bound thread), for what the socket path costs per record.
# Each worker count runs REPS times, alternately; median (min .. max).
#   bench/socket.sh [BUILD_DIR] [RECORDS] [REPS]
set -euo pipefail
B=${1:-build}
N=${2:-20000000}
Q=$((N / 2))
REPS=${3:-3}
FH=$B/flowhound
GEN=$B/bench/fh-gen
EXPORTERS=64
source "$(dirname "$0")/../tests/tools/testlib.sh" # T, PIDS, free_udp_port
source "$(dirname "$0")/timing.sh" # spread, median
HZ=$(getconf CLK_TCK)
# a daemon stopped (SIGSTOP) when the script ends would not act on the SIGTERM
FH_CLEANUP_EXTRA='for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; done'

nap() { read -rt "$1" -u 9 || true; } # sleep without a process (the polls compete for the cores)
mkfifo "$T/nap"; exec 9<>"$T/nap"
udp_queue() { # PORT -> UQ: receive-queue bytes, UD: drops, summed over the sockets bound to it
    local hex la txrx drops
    printf -v hex '%04X' "$1"
    UQ=0 UD=0
    while read -r _ la _ _ txrx _ _ _ _ _ _ _ drops _; do
        [ "${la##*:}" = "$hex" ] || continue
        UQ=$((UQ + 16#${txrx#*:})); UD=$((UD + drops))
    done </proc/net/udp
}
drained() { # PORT -> returns once every datagram queued on its sockets has been read
    for _ in $(seq 12000); do udp_queue "$1"; [ "$UQ" = 0 ] && return; nap 0.005; done
    echo "socket.sh: the sockets of port $1 did not drain" >&2; return 1
}
ticks() { # stat files... -> utime + stime summed (clock ticks)
    local f l s=0 a
    for f; do
        read -r l <"$f"
        read -ra a <<<"${l##*) }" # after the command name: state is [0], utime [11], stime [12]
        s=$((s + a[11] + a[12]))
    done
    echo $s
}
gen() { # PORT RECORDS -> fh-gen's "records seconds" (all exporters from their own address)
    "$GEN" --format v9 --flows "$2" --exporters $EXPORTERS --exporter-addrs \
        --send "127.0.0.1:$1" >"$T/gen.out" 2>&1 || { cat "$T/gen.out" >&2; return 1; }
    awk '/records in/ {print $2, $(NF - 3)}' "$T/gen.out"
}

# run_once WORKERS -> one line: the live send (fields 1-9), then the queued one (10-18), each
#   sent/s, decoded/s, decoded per worker CPU-s, per daemon CPU-s, not decoded, kernel drops
#   (daemon, /proc/net/udp), ring drops, % of the records on worker 0
run_once() {
    local w=$1 port pid tids=() t0 t1 c0 c1 p0 p1 g sent el qsent qel
    port=$(free_udp_port)
    rm -f "$T/c.sock"
    "$FH" run --listen "127.0.0.1:$port" --set workers="$w" --set control.socket="$T/c.sock" \
        --set collector.rcvbuf=1G >/dev/null 2>"$T/run.err" &
    pid=$!; PIDS+=($pid)
    for _ in $(seq 250); do
        [ -S "$T/c.sock" ] && "$FH" stats --json --control "$T/c.sock" >/dev/null 2>&1 && break
        nap 0.02
    done
    # the worker threads, by name (fh-worker-N)
    for _ in $(seq 50); do
        tids=()
        for t in /proc/$pid/task/*; do
            [[ "$(cat "$t/comm" 2>/dev/null)" == fh-worker-* ]] && tids+=("$t/stat")
        done
        [ ${#tids[@]} = "$w" ] && break
        nap 0.02
    done
    [ ${#tids[@]} = "$w" ] ||
        { echo "socket.sh: ${#tids[@]} worker threads of $w found: $(tail -2 "$T/run.err")" >&2; return 1; }
    # live: fh-gen sends while the workers receive
    c0=$(ticks "${tids[@]}"); p0=$(ticks /proc/$pid/stat)
    t0=$(date +%s.%N)
    g=$(gen "$port" "$N") || return 1
    read -r sent el <<<"$g"
    drained "$port" || return 1
    t1=$(date +%s.%N)
    nap 1.5 # the workers publish their counters once a second
    "$FH" stats --json --control "$T/c.sock" >"$T/a.json"
    c1=$(ticks "${tids[@]}"); p1=$(ticks /proc/$pid/stat)
    udp_queue "$port"
    local live=("$T/a.json" "$sent" "$el" "$t0" "$t1" $((c1 - c0)) $((p1 - p0)) "$UD")
    # queued: the daemon stopped while fh-gen fills the receive buffers, then resumed
    kill -STOP $pid
    g=$(gen "$port" "$Q") || { kill -CONT $pid; return 1; }
    read -r qsent qel <<<"$g"
    local d0=$UD
    udp_queue "$port"
    local qd=$((UD - d0))
    c0=$(ticks "${tids[@]}"); p0=$(ticks /proc/$pid/stat)
    t0=$(date +%s.%N)
    kill -CONT $pid
    drained "$port" || return 1
    t1=$(date +%s.%N)
    nap 1.5
    "$FH" stats --json --control "$T/c.sock" >"$T/b.json"
    c1=$(ticks "${tids[@]}"); p1=$(ticks /proc/$pid/stat)
    kill -TERM $pid; wait $pid 2>/dev/null || true
    python3 - "$HZ" "${live[@]}" "$T/b.json" "$qsent" "$qel" "$t0" "$t1" $((c1 - c0)) $((p1 - p0)) "$qd" <<'PY'
import json, sys
hz = int(sys.argv[1])
def cnt(path):
    w = json.load(open(path))["workers"]
    return [{k: x[k] for k in ("records", "kernel_drops", "ring_drops")} for x in w]
def fields(w, args): # the workers' counters of one send, fh-gen's figures, times, CPU
    sent, el, t0, t1, cw, cp, pd = (float(x) for x in args)
    rec = sum(x["records"] for x in w)
    return [sent / el / 1e6, rec / (t1 - t0) / 1e6, rec / (cw / hz) / 1e6,
            rec / (cp / hz) / 1e6, sent - rec, sum(x["kernel_drops"] for x in w), pd,
            sum(x["ring_drops"] for x in w), 100 * w[0]["records"] / max(rec, 1)]
a, b = cnt(sys.argv[2]), cnt(sys.argv[10])
out = fields(a, sys.argv[3:10])
out += fields([{k: y[k] - x[k] for k in x} for x, y in zip(a, b)], sys.argv[11:18])
print(" ".join("%.6g" % x if isinstance(x, float) and x != int(x) else str(int(x)) for x in out))
PY
}

one=""; two=""; mem=""
for _ in $(seq "$REPS"); do
    one+="$(run_once 1)"$'\n'
    two+="$(run_once 2)"$'\n'
    mem+="$("$B/bench/bench_worker" v9 1 | awk '/^1 worker/ {print $3}')"$'\n'
done
one=${one%$'\n'}; two=${two%$'\n'}; mem=${mem%$'\n'}
col() { awk -v c="$1" '{print $c}'; } # field C of run_once's lines
c() { col "$2" <<<"$1" | spread 1 "${3:-2}"; } # lines field [decimals] -> "median (min .. max)"
table() { # FIRST_FIELD: the live send's table (1) or the queued one's (10)
    local f=$1 w l
    echo "| workers | sent by fh-gen, M records/s | decoded, wall clock, M records/s | per worker | decoded per worker-thread CPU-second, M | decoded per daemon CPU-second, M | not decoded (sent - decoded) | kernel socket drops (daemon / /proc/net/udp) | flow events not queued to analytics (ring drops) | share of worker 0, % |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for w in 1 2; do
        l=$([ $w = 1 ] && echo "$one" || echo "$two")
        echo "| $w | $(c "$l" $f) | $(c "$l" $((f + 1))) | $(awk -v c=$((f + 1)) -v w=$w '{print $c / w}' <<<"$l" | spread) | $(c "$l" $((f + 2))) | $(c "$l" $((f + 3))) | $(c "$l" $((f + 4)) 0) | $(c "$l" $((f + 5)) 0) / $(c "$l" $((f + 6)) 0) | $(c "$l" $((f + 7)) 0) | $(c "$l" $((f + 8)) 0) |"
    done
}
echo "Live: fh-gen sends $N records as fast as it can while the daemon receives."
echo
table 1
echo
echo "Queued: fh-gen sends $Q records into the stopped daemon's sockets, which then drains them."
echo
table 10
# ratios: of the medians, with the range of the ratios of each rep's pair
ratio() { # label lines_a field_a lines_b field_b -> a table row: b / a
    local a b
    a=$(col "$3" <<<"$2"); b=$(col "$5" <<<"$4")
    printf '| %s | %.2f (%s) |\n' "$1" "$(echo "$(median <<<"$b") / $(median <<<"$a")" | bc -l)" \
        "$(paste -d' ' <(echo "$a") <(echo "$b") | awk '{print $2 / $1}' | sort -g |
            awk '{v[NR] = $1} END {printf "%.2f .. %.2f", v[1], v[NR]}')"
}
echo
echo "In memory, the same run: \`bench_worker v9 1\`, 1 worker: $(spread <<<"$mem") M records/s (one CPU-bound thread: per CPU-second while it has a core to itself)."
echo
echo "| ratio, same run | median (range of the reps' ratios) |"
echo "|---|---|"
ratio "queued: 2 workers / 1 worker, drained, wall clock" "$one" 11 "$two" 11
ratio "queued: 2 workers / 1 worker, per worker-thread CPU-second" "$one" 12 "$two" 12
ratio "live: 2 workers / 1 worker, decoded, wall clock" "$one" 2 "$two" 2
ratio "live: 2 workers / 1 worker, per worker-thread CPU-second" "$one" 3 "$two" 3
ratio "live / queued, per worker-thread CPU-second, 1 worker" "$one" 12 "$one" 3
ratio "live / queued, per worker-thread CPU-second, 2 workers" "$two" 12 "$two" 3
ratio "queued, 1 worker: sockets / in memory (bench_worker), per worker CPU-second" "$mem" 1 "$one" 12
