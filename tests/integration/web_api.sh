#!/usr/bin/env bash
# labels: web
# The web API and /metrics of `flowhound run --web`, with a real export stream (bench/fh-gen,
# IPFIX with injected activities) sent to the daemon over loopback UDP. tshark decodes the
# same stream from a capture as the independent count of flows, packets and bytes. Checks:
# every endpoint; the graphs' totals equal tshark's; protocol series add up to the total; a
# profile equals the same filter run by the query engine; top-N equals tshark's ranking;
# flow search returns only matching flows; the injected activities are in the alert list;
# bad parameters get clear 400s; /metrics parses and agrees with `stats --json`; token and
# basic authentication, HTTPS, refusal to listen off loopback without authentication; the
# series survive a restart.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}" "${FH_BUILD:?}"
source "$FH_SRC/tests/tools/testlib.sh"
GEN="$FH_BUILD/bench/fh-gen"
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
check() { # name got want
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}

START=$(( $(date +%s) - 900 ))
INJECT=scan.horizontal@30,flood.syn@90,dns.tunnel@120
GEN_ARGS=(--format ipfix --flows 20000 --hosts 1000 --seed 11 --start "$START" --inject "$INJECT")
"$GEN" "${GEN_ARGS[@]}" --labels "$T/labels" --pcap "$T/stream.pcap" >/dev/null 2>&1

# the oracle: tshark's decode of the same stream
tshark -r "$T/stream.pcap" -d udp.port==4739,cflow -T fields -e cflow.octets -e cflow.packets \
    -e cflow.protocol -e cflow.dstport 2>/dev/null | python3 -c '
import sys, json, collections
flows = pk = by = 0
dport = collections.Counter(); udp53 = 0
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 4 or not f[0]:
        continue
    o, p, pr, dp = (x.split(",") for x in f)
    for i in range(len(o)):
        flows += 1; by += int(o[i]); pk += int(p[i]); dport[dp[i]] += 1
        if pr[i] == "17" and dp[i] == "53":
            udp53 += 1
json.dump({"flows": flows, "packets": pk, "bytes": by, "udp53": udp53,
           "top_dport": dport.most_common(5)}, open(sys.argv[1], "w"))
' "$T/oracle.json"
FLOWS=$(jget "$T/oracle.json" "['flows']")
[ "$FLOWS" -gt 20000 ] || fail "tshark found $FLOWS flows"

UDP=$(free_udp_port)
WEB=$(free_tcp_port)
U="http://127.0.0.1:$WEB"
start_daemon() { # extra args...
    "$FH_BIN" run --listen 127.0.0.1:$UDP --home-net 198.18.0.0/15 --web 127.0.0.1:$WEB \
        --set control.socket="$T/ctl.sock" --set store.dir="$T/store" \
        --set series.file="$T/series.db" --set 'web.profile=dns: proto udp and port 53' \
        --set flowtable.inactive_timeout=2s "$@" >"$T/alerts.json" 2>>"$T/run.err" &
    PIDS+=($!)
    DPID=$!
    for _ in $(seq 50); do
        [ "$(curl -sk -o /dev/null -w '%{http_code}' "$U/api/status" 2>/dev/null)" != 000 ] && return 0
        sleep 0.1
    done
    cat "$T/run.err"; fail "the web server did not answer"
}
# a blocklist that no traffic here matches, for its gauges in /metrics
printf '2001:db8:ffff:ffff::/64\n192.0.2.255\n' > "$T/unused.txt"
start_daemon --blocklist "unused=$T/unused.txt"
"$GEN" "${GEN_ARGS[@]}" --send 127.0.0.1:$UDP --rate 20000 >/dev/null 2>&1

FROM=$(( (START - 3600) * 1000 ))
TO=$(( (START + 7200) * 1000 ))
R="from=$FROM&to=$TO"
get() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
series_total() { # name -> "flows packets bytes"
    curl -s "$U/api/series?names=$1&$R" | python3 -c '
import json, sys
d = json.load(sys.stdin)["series"][0]
print(sum(d["flows_in"]) + sum(d["flows_out"]), sum(d["packets_in"]) + sum(d["packets_out"]),
      sum(d["bytes_in"]) + sum(d["bytes_out"]))'
}
want="$FLOWS $(jget "$T/oracle.json" "['packets']") $(jget "$T/oracle.json" "['bytes']")"
got=""
for _ in $(seq 60); do
    got=$(series_total total)
    [ "$got" = "$want" ] && break
    sleep 0.5
done
check "series total equals tshark's flows, packets, bytes ($want)" "$got" "$want"
# flow files are written every 5 s: then the query engine sees every flow too
for _ in $(seq 30); do
    [ "$(curl -s "$U/api/top?by=proto&$R" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["flows"])')" = "$FLOWS" ] && break
    sleep 0.5
done
"$FH_BIN" stats --json --control "$T/ctl.sock" > "$T/stats.json"
check "every record sent was received" "$(jget "$T/stats.json" "['records']")" "$FLOWS"

# status
check "status 200" "$(get "$U/api/status")" 200
python3 - "$T/body" <<'PY' || fail "status content"
import json, sys
d = json.load(open(sys.argv[1]))
need = {"total", "proto.tcp", "proto.udp", "proto.icmp", "proto.other", "port.53", "port.443",
        "net.198.18.0.0/15", "profile.dns"}
assert need <= set(d["series"]), set(d["series"])
assert d["data_first"] and d["data_last"] >= d["data_first"]
assert d["profiles"] == [{"name": "dns", "filter": "proto udp and port 53"}]
assert d["home_nets"] == ["198.18.0.0/15"] and d["store"] is True
PY
ok "status lists the series, profiles, home networks and the data's time span"

# the protocol series add up to the total; the profile equals its filter in the query engine
sum4=$(for p in tcp udp icmp other; do series_total proto.$p; done | awk '{f+=$1; p+=$2; b+=$3} END {print f, p, b}')
check "proto.* add up to total" "$sum4" "$want"
prof=$(series_total profile.dns | cut -d' ' -f1)
get "$U/api/top?by=proto&$R&filter=proto%20udp%20and%20port%2053" >/dev/null
check "profile.dns flows = query engine 'proto udp and port 53'" "$prof" "$(jget "$T/body" "['total']['flows']")"
[ "$prof" -ge "$(jget "$T/oracle.json" "['udp53']")" ] || fail "profile.dns below tshark's udp/53 count"
ok "profile.dns >= tshark's udp dst port 53 flows"
s5=$(curl -s "$U/api/series?names=total&$R&step=300" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["step"], sum(d["series"][0]["flows_in"]) + sum(d["series"][0]["flows_out"]))')
check "a 5-minute step keeps the sum" "$s5" "300 $FLOWS"

# top-N: tshark's ranking of destination ports by flows
get "$U/api/top?by=dstport&order=flows&n=5&$R" >/dev/null
python3 - "$T/body" "$T/oracle.json" <<'PY' || fail "top dstport differs from tshark"
import json, sys
d, o = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ours = {r["val"]: r["flows"] for r in d["rows"]}
for port, n in o["top_dport"]:
    assert ours.get(port) == n, (port, n, ours)
assert d["total"]["flows"] == o["flows"], d["total"]
PY
ok "top 5 destination ports and their flows equal tshark's"

# flow search
get "$U/api/flows?$R&limit=7&filter=proto%20udp%20and%20dst%20port%2053" >/dev/null
python3 - "$T/body" <<'PY' || fail "flow search"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["rows"]) == 7 and d["truncated"] is True and d["matched"] > 7, d
assert all(r["proto"] == 17 and r["dport"] == 53 for r in d["rows"])
PY
ok "flow search: 7 rows, all udp dst port 53, truncated, with the full match count"

# alerts: every injected activity, by type and offender
get "$U/api/alerts?status=all" >/dev/null
python3 - "$T/body" "$T/labels" <<'PY' || fail "alerts"
import json, sys
d = json.load(open(sys.argv[1]))
# floods are keyed by their victim (spoofed sources show as 0.0.0.0), the rest by offender
have = {(a["type"], a["dst"] if a["type"].startswith("flood.") else a["src"]) for a in d["alerts"]}
for l in open(sys.argv[2]):
    lab = json.loads(l)
    who = lab["dst"] if lab["type"].startswith("flood.") else lab["src"]
    assert (lab["type"], who) in have, (lab, have)
assert d["source"] == "local"
PY
ok "the alert list holds every injected activity ($(wc -l < "$T/labels"))"

# bad requests: clear 400s (404 for no such endpoint, 405 for other methods)
bad() { # name url want-status want-text
    local code
    code=$(get "$2")
    [ "$code" = "$3" ] || fail "$1: status $code, want $3: $(cat "$T/body")"
    grep -q -- "$4" "$T/body" || fail "$1: body $(cat "$T/body") lacks '$4'"
    ok "$1 -> $3 ($4)"
}
bad "unknown series" "$U/api/series?names=total,nope&$R" 400 "no series 'nope'"
bad "no series named" "$U/api/series?$R" 400 "names:"
bad "from not a number" "$U/api/series?names=total&from=yesterday" 400 "from: 'yesterday'"
bad "to before from" "$U/api/series?names=total&from=2000&to=1000" 400 "must be after from"
bad "step too large" "$U/api/series?names=total&$R&step=99999999" 400 "step:"
bad "top by" "$U/api/top?by=colour&$R" 400 "by: 'colour'"
bad "top order" "$U/api/top?order=speed&$R" 400 "order: 'speed'"
bad "top n" "$U/api/top?n=0&$R" 400 "n: '0'"
bad "bad filter, with its column" "$U/api/flows?filter=port%20foo&$R" 400 "filter:1:6"
bad "flow limit" "$U/api/flows?limit=100000&$R" 400 "limit:"
bad "alert status" "$U/api/alerts?status=maybe" 400 "status: 'maybe'"
bad "no endpoint" "$U/api/nothing" 404 "no API endpoint"
bad "no page" "$U/nothing" 404 "no such page"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/api/status")
check "POST refused" "$code" 405
# the page and its assets are served from the binary
for a in / /static/app.js /static/app.css /static/uPlot.iife.min.js /static/uPlot.min.css; do
    [ "$(get "$U$a")" = 200 ] && [ -s "$T/body" ] || fail "asset $a"
done
ok "the page and its assets (uPlot included) are served"

# /metrics: valid exposition format, agreeing with stats --json
curl -s "$U/metrics" > "$T/metrics"
"$FH_BIN" stats --json --control "$T/ctl.sock" > "$T/stats.json"
python3 - "$T/metrics" "$T/stats.json" "$T/labels" "$FH_SRC/deploy/grafana-dashboard.json" <<'PY' || fail "/metrics"
import json, re, sys
text = open(sys.argv[1]).read()
stats = json.load(open(sys.argv[2]))
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*)?\})? (-?[0-9.e+]+)$')
helped, typed, values = set(), {}, {}
for line in text.splitlines():
    if line.startswith("# HELP "):
        helped.add(line.split()[2])
    elif line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        assert kind in ("counter", "gauge"), line
        typed[name] = kind
    else:
        m = sample.match(line)
        assert m, "not a sample line: " + line
        name = m.group(1)
        assert name.startswith("flowhound_"), name
        assert name in typed and name in helped, "no HELP/TYPE for " + name
        if typed[name] == "counter":
            assert name.endswith("_total"), name
        values.setdefault(name, []).append((m.group(3) or "", float(m.group(5))))
def total(n):
    return sum(v for _, v in values[n])
assert total("flowhound_records_total") == stats["records"]
assert total("flowhound_datagrams_total") == stats["datagrams"]
assert total("flowhound_decode_errors_total") == stats["decode_errors"]
alerts = {l: v for l, v in values["flowhound_alerts_total"]}
for l in open(sys.argv[3]):
    t = json.loads(l)["type"]
    assert alerts['type="%s"' % t] >= 1, (t, alerts)
assert total("flowhound_web_requests_total") > 10
assert total("flowhound_blocklist_bytes") == stats["blocklist_bytes"] > 0
assert dict(values["flowhound_blocklist_entries"]) == {
    'list="%s"' % l["name"]: l["entries"] for l in stats["blocklists"]} == {'list="unused"': 2}
for n in ("flowhound_flows_active", "flowhound_drops_total", "flowhound_alerts_active",
          "flowhound_analytics_events_total", "flowhound_exporter_records_total"):
    assert n in values, n
# every metric the Grafana dashboard graphs exists (Redis's only with Redis)
dash = json.load(open(sys.argv[4]))
for p in dash["panels"]:
    for t in p["targets"]:
        for n in re.findall(r"flowhound_[a-z_]+", t["expr"]):
            assert n in typed or n.startswith("flowhound_redis_"), ("dashboard", n)
PY
ok "/metrics parses (HELP, TYPE, samples, _total counters), equals stats --json (blocklists too), has what the Grafana dashboard graphs"

# the series survive a restart
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null || true
start_daemon
check "series after a restart" "$(series_total total)" "$want"
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null || true

# token authentication
start_daemon --set web.token=s3cret
check "no token: 401" "$(get "$U/api/status")" 401
check "wrong token: 401" "$(get -H 'Authorization: Bearer nope' "$U/api/status")" 401
check "bearer token: 200" "$(get -H 'Authorization: Bearer s3cret' "$U/api/status")" 200
check "token argument: 200" "$(get "$U/api/status?token=s3cret")" 200
check "/metrics needs it too" "$(get "$U/metrics")" 401
check "the page itself holds no data: 200" "$(get "$U/")" 200
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null || true

# basic authentication over HTTPS (a self-signed certificate)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
U="https://127.0.0.1:$WEB"
start_daemon --set web.basic_auth=ops:pa55 --set web.tls_cert="$T/cert.pem" \
    --set web.tls_key="$T/key.pem"
check "https, no credentials: 401" "$(get -k "$U/api/status")" 401
check "https, wrong password: 401" "$(get -k -u ops:nope "$U/api/status")" 401
check "https, basic auth: 200" "$(get -k -u ops:pa55 "$U/api/status")" 200
check "basic auth guards the page too" "$(get -k "$U/")" 401
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEB/api/status" || true)
[ "$code" != 200 ] || fail "plain HTTP answered on the HTTPS port"
ok "plain HTTP is not served on the HTTPS port"
kill -TERM "$DPID"; wait "$DPID" 2>/dev/null || true

# off loopback without authentication: refused at start, exit status 1
set +e
"$FH_BIN" run --listen 127.0.0.1:$UDP --web 0.0.0.0:$WEB --set control.socket="$T/ctl2.sock" \
    --set series.file= >/dev/null 2>"$T/refuse.err"
rc=$?
set -e
check "non-loopback without auth: exit 1" "$rc" 1
grep -q "not a loopback address: set web.token or web.basic_auth" "$T/refuse.err" ||
    fail "message: $(cat "$T/refuse.err")"
ok "non-loopback without auth: says why"
echo "$pass checks passed"
