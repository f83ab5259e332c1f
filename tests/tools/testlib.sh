# SPDX-License-Identifier: BSD-2-Clause
# Helpers for the integration tests (sourced, not run): a scratch directory and the
# processes to stop on exit, free loopback ports, JSON field access, and an nfcapd file of a
# capture's exports (the nfdump oracle).

# T: a scratch directory; PIDS: processes to kill on exit (append with PIDS+=($!)).
T=$(mktemp -d)
PIDS=()
fh_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "${FH_CLEANUP_EXTRA:-}" ] && eval "$FH_CLEANUP_EXTRA"
    rm -rf "$T"
}
trap fh_cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_tcp_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# jget FILE '["key"][0]' -> the value
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d" + sys.argv[2]))' "$1" "$2"; }
# nfcapd_file CAPTURE -> prints the path of an nfcapd file holding the capture's exports.
# Each step is waited for, not slept for: nfcapd's own socket listening (a port found free
# may be taken by a parallel test before nfcapd binds it: then another port), its receive
# queue empty after the send, its file closed. Up to three tries; a failed one is said.
nfcapd_file() {
    local port dir pid try ok
    for try in 1 2 3; do
        port=$(free_udp_port)
        dir="$T/nfcapd.$port"
        mkdir -p "$dir"
        nfcapd -p "$port" -b 127.0.0.1 -w "$dir" -t 3600 >"$dir.log" 2>&1 & pid=$!
        ok=0
        for _ in $(seq 150); do
            ss -lunp 2>/dev/null | grep "127.0.0.1:$port " | grep -q "pid=$pid," && { ok=1; break; }
            kill -0 $pid 2>/dev/null || break
            sleep 0.1
        done
        if [ $ok = 1 ]; then
            python3 "$FH_SRC/tests/tools/send_pcap.py" 127.0.0.1 "$port" "$1" >/dev/null
            # read by nfcapd: its receive queue (ss's Recv-Q) is empty
            for _ in $(seq 100); do
                [ "$(ss -lun "sport = :$port" 2>/dev/null | awk 'NR == 2 {print $2}')" = 0 ] && break
                sleep 0.1
            done
            sleep 0.3
        fi
        kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true
        if [ $ok = 1 ] && ls "$dir"/nfcapd.2* >/dev/null 2>&1; then
            ls "$dir"/nfcapd.2* | head -1
            return 0
        fi
        echo "nfcapd_file: try $try on port $port failed: $(tail -2 "$dir.log" | tr '\n' ' ')" >&2
    done
    return 1
}
