#!/usr/bin/env bash
# labels: web;browser
# The page in a real browser: `flowhound run --web` receives an IPFIX stream with injected
# activities (bench/fh-gen over loopback UDP); headless Chromium (playwright-core,
# tests/tools/web_e2e.mjs) loads the page and checks that the totals shown equal tshark's
# decode of the same stream, that the alert list shows the injected activities, and that a
# click on the top destination port 53 fills the flow search and shows only port-53 flows.
# The screenshot is kept in the build tree (Testing/web_ui.png) as the test's artifact.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}" "${FH_BUILD:?}"
source "$FH_SRC/tests/tools/testlib.sh"
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (deploy/install-deps.sh installs it)"
[ -d "$FH_SRC/web/node_modules/playwright-core" ] || fail "no playwright-core (npm ci --prefix web)"
GEN="$FH_BUILD/bench/fh-gen"
START=$(( $(date +%s) - 900 ))
GEN_ARGS=(--format ipfix --flows 20000 --hosts 1000 --seed 5 --start "$START"
    --inject scan.horizontal@30,flood.syn@90,dns.tunnel@120)
"$GEN" "${GEN_ARGS[@]}" --labels "$T/labels" --pcap "$T/stream.pcap" >/dev/null 2>&1
tshark -r "$T/stream.pcap" -d udp.port==4739,cflow -T fields -e cflow.octets -e cflow.packets \
    2>/dev/null | python3 -c '
import sys, json
f = p = b = 0
for line in sys.stdin:
    o, k = (line.rstrip("\n").split("\t") + [""])[:2]
    if not o:
        continue
    o, k = o.split(","), k.split(",")
    f += len(o); b += sum(map(int, o)); p += sum(map(int, k))
json.dump({"flows": f, "packets": p, "bytes": b}, open(sys.argv[1], "w"))' "$T/totals.json"

UDP=$(free_udp_port)
WEB=$(free_tcp_port)
U="http://127.0.0.1:$WEB"
"$FH_BIN" run --listen 127.0.0.1:$UDP --home-net 198.18.0.0/15 --web 127.0.0.1:$WEB \
    --set control.socket="$T/ctl.sock" --set store.dir="$T/store" --set series.file= \
    --set flowtable.inactive_timeout=2s --set web.token=e2e-token >/dev/null 2>"$T/run.err" &
PIDS+=($!)
for _ in $(seq 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/" 2>/dev/null)" = 200 ] && break
    sleep 0.1
done
"$GEN" "${GEN_ARGS[@]}" --send 127.0.0.1:$UDP --rate 20000 >/dev/null 2>&1
FROM=$(( (START - 600) * 1000 ))
TO=$(( (START + 1800) * 1000 ))
want=$(jget "$T/totals.json" "['flows']")
# wait until the stream is in the graphs and in the flow files (written every 5 s)
for _ in $(seq 60); do
    got=$(curl -s -H 'Authorization: Bearer e2e-token' \
        "$U/api/top?by=proto&from=$FROM&to=$TO" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["flows"])' || true)
    [ "$got" = "$want" ] && break
    sleep 0.5
done
[ "$got" = "$want" ] || fail "the daemon has $got flows, tshark $want"
# the expected page: tshark's totals, the alerts of the injected activities (floods are
# keyed by their victim: the offender is what the API reports for that victim)
curl -s -H 'Authorization: Bearer e2e-token' "$U/api/alerts?status=all" > "$T/alerts.json"
python3 - "$T/totals.json" "$T/labels" "$T/alerts.json" "$FROM" "$TO" > "$T/expect.json" <<'PY'
import json, sys
totals = json.load(open(sys.argv[1]))
alerts = json.load(open(sys.argv[3]))["alerts"]
want = []
for l in open(sys.argv[2]):
    lab = json.loads(l)
    if lab["type"].startswith("flood."):
        src = [a["src"] for a in alerts if a["type"] == lab["type"] and a["dst"] == lab["dst"]]
        assert src, ("no alert for", lab)
        want.append({"type": lab["type"], "src": src[0]})
    else:
        want.append({"type": lab["type"], "src": lab["src"]})
json.dump({"totals": totals, "alerts": want, "click_port": {"by": "dstport", "val": "53"},
           "from": int(sys.argv[4]), "to": int(sys.argv[5])}, sys.stdout)
PY
mkdir -p "$FH_BUILD/Testing"
node "$FH_SRC/tests/tools/web_e2e.mjs" --url "$U/" --expect "$T/expect.json" \
    --screenshot "$FH_BUILD/Testing/web_ui.png" --token e2e-token --timeout 90
echo "screenshot: $FH_BUILD/Testing/web_ui.png"
