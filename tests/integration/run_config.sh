#!/usr/bin/env bash
# labels: detect
# `flowhound run` takes the detectors' settings from its config and reloads them without a
# restart: blocklists (`--blocklist NAME=PATH`, `blocklist = NAME: PATH`), allowlists
# (`allow.scanners`...), `detect.NAME` thresholds and `detect.suppress`. Live traffic: the
# softflowd capture of tests/vectors sent to the daemon's UDP socket, and an fh-gen IPFIX
# stream with injected activities. A reload with a list that does not load is refused, and
# the old settings stay.
set -euo pipefail
: "${FH_BIN:?}" "${FH_SRC:?}" "${FH_BUILD:?}"
source "$FH_SRC/tests/tools/testlib.sh"
V="$FH_SRC/tests/vectors"
GEN="$FH_BUILD/bench/fh-gen"
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
UDP=$(free_udp_port)
CONF="$T/flowhound.conf"
printf '192.0.2.53\n' > "$T/bad.txt"
printf '# the others\n203.0.113.0/24 ; SBL0001\n' > "$T/drop.txt"
cat > "$CONF" <<CFG
collector.listen = 127.0.0.1:$UDP
control.socket = $T/ctl.sock
home_net = 198.51.100.0/24 192.0.2.0/24 198.18.0.0/15
CFG
"$FH_BIN" run -c "$CONF" --blocklist "bad=$T/bad.txt" >"$T/alerts.json" 2>"$T/run.err" &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$T/ctl.sock" ] && break; sleep 0.1; done
send() { python3 "$FH_SRC/tests/tools/send_pcap.py" 127.0.0.1 "$UDP" "$1" >/dev/null; }
wait_alert() { # jq-free: python predicate over the alert lines; seconds
    for _ in $(seq "$2"); do
        python3 - "$T/alerts.json" "$1" <<'PY' && return 0
import json, sys
ok = False
for l in open(sys.argv[1]):
    if l.endswith("\n"):
        a = json.loads(l)
        if eval(sys.argv[2]):
            ok = True
sys.exit(0 if ok else 1)
PY
        sleep 1
    done
    return 1
}
count() { python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if l.endswith("\n") and eval(sys.argv[2], {"a": json.loads(l)})))' "$T/alerts.json" "$1"; }
# config_error TEXT ARGS...: `flowhound config ARGS` must exit 2 and say TEXT (in $err)
config_error() {
    local want=$1 rc=0
    shift
    err=$("$FH_BIN" config "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" = 2 ] && case $err in *"$want"*) true ;; *) false ;; esac ||
        fail "flowhound config $*: rc $rc: $err (wanted: $want)"
}

send "$V/softflowd-v9.pcap"
wait_alert 'a["type"] == "blocklist.bad" and "192.0.2.53" in (a["src"], a["dst"])' 20 ||
    fail "no blocklist.bad alert from --blocklist: $(cat "$T/run.err")"
ok "--blocklist bad=FILE: traffic with 192.0.2.53 raises blocklist.bad"
# `stats` says which lists are in use, with their entries, and their memory
lists() {
    "$FH_BIN" stats --json --control "$T/ctl.sock" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["blocklist_bytes"] > 0 if s["blocklists"] else s["blocklist_bytes"] == 0, s
print(" ".join("%s:%d" % (l["name"], l["entries"]) for l in s["blocklists"]))'
}
[ "$(lists)" = "bad:1" ] || fail "stats blocklists at start: $(lists)"
ok "stats: the list in use (bad:1)"

# reload: another list from the config file; the command-line list stays (--set is replayed)
echo "blocklist = drop: $T/drop.txt" >> "$CONF"
"$FH_BIN" reload --control "$T/ctl.sock" | grep -q reloaded || fail "reload"
send "$V/softflowd-v9.pcap"
wait_alert 'a["type"] == "blocklist.drop" and "203.0.113." in a["src"] + str(a["dst"])' 20 ||
    fail "no blocklist.drop alert after the reload"
ok "reload: a list added to the config file raises blocklist.drop, without a restart"
# in the order they load: the config file's, then the command line's
[ "$(lists)" = "drop:1 bad:1" ] || fail "stats blocklists after the reload: $(lists)"
ok "stats: the lists after the reload (drop:1 bad:1)"
# each send raises them anew (event time is the capture's: they resolve at once), so the
# suppression check below means something
n_bad=$(count 'a["type"] == "blocklist.bad" and a["event"] == "new"')
n_first=$(count 'a["type"] == "blocklist.bad" and a["event"] == "new" and a["dst"] == "192.0.2.53"')
[ "$n_first" -ge 2 ] || fail "a second send raised no new blocklist.bad alert ($n_first)"
ok "every send raises the list's alerts anew ($n_bad new blocklist.bad events)"

# a list that does not load: the reload is refused with the reason, the old lists stay
echo "blocklist = gone: $T/no-such-file.txt" >> "$CONF"
set +e
out=$("$FH_BIN" reload --control "$T/ctl.sock" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "a bad reload exits $rc"
case $out in *"blocklist gone"*"no-such-file"*) ok "a list that does not load: reload refused ($out)" ;;
*) fail "reload message: $out" ;; esac
kill -0 "${PIDS[0]}" || fail "the daemon died"
ok "the daemon keeps running on the old settings"
[ "$(lists)" = "drop:1 bad:1" ] || fail "stats blocklists after a refused reload: $(lists)"
ok "stats: the old lists after the refused reload"

# suppress every blocklist alert by reload
sed -i '/^blocklist = gone/d' "$CONF"
echo 'detect.suppress = blocklist' >> "$CONF"
"$FH_BIN" reload --control "$T/ctl.sock" | grep -q reloaded || fail "reload (suppress)"
before=$(count 'a["type"].startswith("blocklist.") and a["event"] == "new"')
send "$V/softflowd-v9.pcap"
sleep 4
after=$(count 'a["type"].startswith("blocklist.") and a["event"] == "new"')
[ "$after" = "$before" ] || fail "suppressed blocklist alerts still raised ($before -> $after)"
ok "detect.suppress = blocklist: no new blocklist alert after the reload ($after)"

# allowlist and thresholds: a scanner listed in allow.scanners is not alerted; the other
# injected activities are; a threshold from the config (resolved quickly: window 10 s)
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
PIDS=()
: > "$T/alerts.json"
cat > "$CONF" <<CFG
collector.listen = 127.0.0.1:$UDP
control.socket = $T/ctl.sock
home_net = 198.18.0.0/15
allow.scanners = 203.0.113.10
detect.flood_pps = 2000000
CFG
"$FH_BIN" run -c "$CONF" >"$T/alerts.json" 2>"$T/run.err" &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$T/ctl.sock" ] && break; sleep 0.1; done
"$GEN" --format ipfix --flows 20000 --hosts 1000 --seed 9 --start $(( $(date +%s) - 600 )) \
    --inject scan.horizontal@30,flood.syn@90,dns.tunnel@120 --labels "$T/labels" \
    --send 127.0.0.1:$UDP --rate 20000 >/dev/null 2>&1
grep -q '"scan.horizontal","src":"203.0.113.10"' "$T/labels" || fail "labels: $(cat "$T/labels")"
wait_alert 'a["type"] == "dns.tunnel"' 20 || fail "no dns.tunnel alert"
sleep 2
[ "$(count 'a["type"].startswith("scan.") and a["src"] == "203.0.113.10"')" = 0 ] ||
    fail "the allowlisted scanner was alerted"
ok "allow.scanners: the injected scanner 203.0.113.10 raises no scan alert; dns.tunnel still does"
[ "$(count 'a["type"] == "flood.syn"')" = 0 ] || fail "flood.syn alerted above detect.flood_pps"
ok "detect.flood_pps = 2000000 from the config: the injected SYN flood stays below it"

# thresholds per network (detect.net): the scanner's network judged strictly, another
# network's override changes nothing; a flood judged by its victim's network
"$GEN" --format ipfix --flows 20000 --hosts 1000 --seed 9 --start 1767225600 \
    --inject scan.horizontal@30,flood.syn@90,dns.tunnel@120 --pcap "$T/g9.pcap" >/dev/null 2>&1
types() { "$FH_BIN" analyze --home-net 198.18.0.0/15 "$@" "$T/g9.pcap" 2>/dev/null |
    python3 -c 'import sys, json; print(" ".join(sorted(json.loads(l)["type"] for l in sys.stdin)))'; }
all=$(types)
[ "$all" = "dns.tunnel flood.syn scan.horizontal" ] || fail "the stream's alerts: $all"
[ "$(types --set 'detect.net=203.0.113.0/24 scan_fail_ratio=2')" = "dns.tunnel flood.syn" ] ||
    fail "detect.net on the scanner's network"
[ "$(types --set 'detect.net=192.0.2.0/24 scan_fail_ratio=2')" = "$all" ] ||
    fail "detect.net on another network changed something"
[ "$(types --set 'detect.net=198.18.0.0/15 flood_pps=100000000')" = "dns.tunnel scan.horizontal" ] ||
    fail "detect.net on the flood victim's network"
ok "detect.net: thresholds per network (the scanner's for scans, the victim's for floods)"
config_error "window_ms is global" --set 'detect.net=198.18.0.0/15 window_ms=1'
ok "detect.net refuses the global settings: $err"

# config errors name the file and line
printf 'home_net = 198.18.0.0/15\ndetect.scan_h_targets = many\n' > "$T/bad.conf"
config_error "bad.conf:2: detect.scan_h_targets: expected a non-negative number" -c "$T/bad.conf"
ok "a bad detect line: exit 2, $err"
printf 'blocklist = tor\n' > "$T/bad2.conf"
config_error "bad2.conf:1: blocklist: expected 'NAME: PATH'" -c "$T/bad2.conf"
ok "a bad blocklist line: exit 2, $err"
echo "$pass checks passed"
