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
# nfcapd_file CAPTURE -> prints the path of an nfcapd file holding the capture's exports
nfcapd_file() {
    local port dir pid
    port=$(free_udp_port)
    dir="$T/nfcapd.$port"
    mkdir -p "$dir"
    nfcapd -p "$port" -b 127.0.0.1 -w "$dir" -t 3600 >/dev/null 2>&1 & pid=$!
    # listening? (a loaded machine may take more than a second to start it)
    for _ in $(seq 100); do ss -lun 2>/dev/null | grep -q "127.0.0.1:$port " && break; sleep 0.1; done
    sleep 0.2
    python3 "$FH_SRC/tests/tools/send_pcap.py" 127.0.0.1 "$port" "$1" >/dev/null
    sleep 1
    kill -TERM $pid; wait $pid 2>/dev/null || true
    for _ in $(seq 50); do ls "$dir"/nfcapd.* >/dev/null 2>&1 && break; sleep 0.1; done
    ls "$dir"/nfcapd.* | head -1
}
