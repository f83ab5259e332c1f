#!/usr/bin/env bash
# Install every Debian 12 package flowhound needs to build, test and run (idempotent).
# Usage: deploy/install-deps.sh            (as root, or with sudo available)
set -euo pipefail

PKGS=(
    build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev llvm
    libdpdk-dev dpdk-dev liburcu-dev libhiredis-dev libpcap-dev libcmocka-dev
    libzstd-dev liblz4-dev libmicrohttpd-dev
    redis-server redis-tools wireshark-common
    nfdump nfdump-sflow softflowd pmacct tshark tcpdump nmap hping3 python3-scapy
    python3 iproute2 procps psmisc time valgrind
    curl openssl chromium
)
# Node.js and npm (the page's graph library, uPlot, and the browser test's playwright-core
# come from the npm registry): Debian's, unless a node with npm is already installed.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
npm_ci() { # the page's npm packages, pinned by web/package-lock.json
    local web
    web="$(cd "$(dirname "$0")/.." && pwd)/web"
    if [ ! -d "$web/node_modules/uplot" ] || [ ! -d "$web/node_modules/playwright-core" ] ||
        [ "$web/package-lock.json" -nt "$web/node_modules" ]; then
        (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) && touch "$web/node_modules"
    fi
}
if [ ${#missing[@]} -eq 0 ]; then
    npm_ci
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# the packaged services are not wanted running: tests start their own on free ports
for svc in redis-server nfdump pmacct softflowd; do
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
npm_ci
