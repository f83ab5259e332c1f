#!/usr/bin/env bash
# The whole daemon through DPDK, end to end: `flowhound run --dpdk` reads NetFlow v9 exports
# from DPDK's net_pcap virtual device (no NIC, no kernel socket: the file is in the page
# cache) with 1 and 2 workers (one RX queue each, one pcap per queue), decodes them, keeps
# the flow tables and feeds the analytics shard. The rate is read from the port's packet
# counter, which `flowhound stats` reads live from DPDK: datagrams received per second from
# the first to the last, times the records per datagram. A worker takes a burst only after
# it has decoded the previous one, so this is the rate of the whole worker path. The flow
# events that the workers could not queue for the one analytics shard (its ring full) are
# counted (`ring_drops`) and shown as a share of the records: a worker faster than the
# analytics loses them, visibly.
# Each worker count runs REPS times; median and range.
#   bench/dpdk.sh [BUILD_DIR] [RECORDS_PER_QUEUE] [REPS]
set -euo pipefail
B=${1:-build}
N=${2:-8000000}
REPS=${3:-3}
FH=$B/flowhound
GEN=$B/bench/fh-gen
source "$(dirname "$0")/../tests/tools/testlib.sh" # T, PIDS
source "$(dirname "$0")/timing.sh" # spread

# two exports of N records each (other seeds); fh-gen says how many datagrams
gen() { "$GEN" --format v9 --flows "$N" --seed "$1" --pcap "$2" 2>&1 | awk '/records in/ {print $(NF - 1)}'; }
DA=$(gen 1 "$T/a.pcap")
DB=$(gen 2 "$T/b.pcap")
cat "$T/a.pcap" "$T/b.pcap" >/dev/null # into the page cache

run_once() { # workers datagrams pcaps... -> M records/s
    local w=$1 want=$2 vdev="net_pcap0" t0="" p0=0 p=0 now
    shift 2
    for f in "$@"; do vdev+=",rx_pcap=$f"; done
    rm -f "$T/c.sock"
    "$FH" run --dpdk "--no-huge --no-pci -m 2048 --log-level=error --file-prefix=fhb$$ --vdev=$vdev" \
        --set workers="$w" --set control.socket="$T/c.sock" --set flowtable.capacity=4000000 \
        --set dpdk.mbufs=65535 >/dev/null 2>"$T/run.err" &
    local pid=$!
    for _ in $(seq 2000); do
        if [ -S "$T/c.sock" ] && "$FH" stats --json --control "$T/c.sock" >"$T/s.json" 2>/dev/null; then
            now=$(date +%s.%N)
            p=$(python3 -c 'import json,sys; print(sum(x["ipackets"] for x in json.load(open(sys.argv[1]))["dpdk_ports"]))' "$T/s.json")
            if [ -z "$t0" ] && [ "$p" -gt 0 ]; then t0=$now; p0=$p; fi
            [ "$p" -ge "$want" ] && break
        fi
        sleep 0.02
    done
    # the flow events the workers could not queue for the analytics shard (ring full),
    # as a share of the records: stats are published each second, so wait for the last
    local lost=""
    for _ in $(seq 30); do
        sleep 0.2
        "$FH" stats --json --control "$T/c.sock" >"$T/s.json" 2>/dev/null || continue
        lost=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); r=sum(w["records"] for w in s["workers"]); print("%d %d" % (sum(w["ring_drops"] for w in s["workers"]), r))' "$T/s.json")
        [ "${lost#* }" -ge "$((N * $#))" ] && break
    done
    kill -TERM $pid 2>/dev/null
    wait $pid 2>/dev/null || true
    [ "$p" -ge "$want" ] && [ -n "$t0" ] && [ "$p" -gt "$p0" ] ||
        { echo "dpdk.sh: $p of $want datagrams: $(tail -2 "$T/run.err")" >&2; return 1; }
    # records per datagram, as fh-gen made them; and the share not analysed, in %
    echo "$(echo "($p - $p0) / ($now - $t0) * ($N * $# / $want) / 1000000" | bc -l)" \
        "$(echo "100 * ${lost% *} / ${lost#* }" | bc -l)"
}
one=""; two=""
for _ in $(seq "$REPS"); do
    one+="$(run_once 1 "$DA" "$T/a.pcap")"$'\n'
    two+="$(run_once 2 $((DA + DB)) "$T/a.pcap" "$T/b.pcap")"$'\n'
done
col() { printf '%s' "$1" | awk -v c="$2" 'NF {print $c}'; }
echo "| workers (RX queues) | records | M records/s, median (min .. max) | flow events not analysed (analytics ring full), % |"
echo "|---|---|---|---|"
echo "| 1 | $N | $(col "$one" 1 | spread 1 2) | $(col "$one" 2 | spread 1 1) |"
echo "| 2 | $((2 * N)) | $(col "$two" 1 | spread 1 2) | $(col "$two" 2 | spread 1 1) |"
