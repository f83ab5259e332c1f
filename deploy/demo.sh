#!/usr/bin/env bash
# The main job on the bundled defaults (README): install what flowhound needs, build it, make
# an IPFIX export stream with activities injected into ordinary traffic (bench/fh-gen), then
#   1. `flowhound analyze` it: the alerts, one line each;
#   2. run the daemon on a loopback port with the web view on, send it the stream live, and
#      show the alert events it streams and its counters (`flowhound stats`);
#   3. leave the daemon running with its web page (graphs, top-N, flow search, alerts) at
#      http://127.0.0.1:8080/ until Ctrl-C (FH_DEMO_WEB=ADDR:PORT for another address;
#      FH_DEMO_WAIT=0 to stop at once, as when stdin is not a terminal).
# Takes about a minute on a fresh Debian 12 machine after the packages are installed.
#   deploy/demo.sh            (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
FH=./build/flowhound
GEN=./build/bench/fh-gen
T=$(mktemp -d)
cleanup() { [ -n "${RUN:-}" ] && kill "$RUN" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

INJECT=scan.horizontal@30,scan.vertical@60,flood.syn@90,dns.tunnel@120
$GEN --format ipfix --flows 50000 --hosts 2000 --inject $INJECT --labels "$T/labels" \
    --pcap "$T/demo.pcap" 2>/dev/null
echo
echo "== injected into 50,000 ordinary flows (IPFIX):"
cat "$T/labels"
echo
echo "== flowhound analyze --home-net 198.18.0.0/15 demo.pcap"
$FH analyze --format text --home-net 198.18.0.0/15 "$T/demo.pcap"

echo
echo "== flowhound run: the same stream sent live to 127.0.0.1:$((20000 + RANDOM % 20000))"
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WEB=${FH_DEMO_WEB:-127.0.0.1:8080}
if python3 -c 'import socket,sys; h,p=sys.argv[1].rsplit(":",1); s=socket.socket(); s.bind((h,int(p)))' "$WEB" 2>/dev/null; then :; else
    WEB=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
$FH run --listen 127.0.0.1:$PORT --home-net 198.18.0.0/15 --set control.socket=$T/ctl.sock \
    --set flowtable.capacity=200000 --web "$WEB" --set store.dir="$T/flows" \
    --set series.file="$T/series.db" --set 'web.profile=dns: proto udp and port 53' \
    --set flowtable.inactive_timeout=5s >"$T/alerts.json" 2>"$T/run.err" &
RUN=$!
for _ in $(seq 50); do [ -S "$T/ctl.sock" ] && break; sleep 0.1; done
$GEN --format ipfix --flows 50000 --hosts 2000 --inject $INJECT --send 127.0.0.1:$PORT \
    --start $(( $(date +%s) - 300 )) \
    --rate 20000 2>&1 | sed 's/^/   /'
sleep 2
echo "== alert events streamed by the daemon (JSON lines; with --redis URL they go to Redis too):"
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    if not l.endswith("\n"):
        break
    a = json.loads(l)
    print("  %-8s %-16s src %-15s dst %-15s %s" % (a["event"], a["type"], a["src"], a["dst"], json.dumps(a["evidence"])[:70]))
' "$T/alerts.json"
echo "== flowhound stats"
$FH stats --control "$T/ctl.sock" | head -n 1
echo "== the web view: http://$WEB/   (graphs by protocol, port, network and profile; top-N;"
echo "   flow search; the alerts above with their evidence; Prometheus metrics at /metrics)"
if [ "${FH_DEMO_WAIT:-1}" != 0 ] && [ -t 0 ]; then
    echo "   the daemon keeps running: press Ctrl-C to stop it"
    wait $RUN || true
fi
kill -TERM $RUN 2>/dev/null; wait $RUN 2>/dev/null || true; RUN=
