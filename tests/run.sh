#!/usr/bin/env bash
# The test command (README): install dependencies, build (Release, ASan/UBSan, libFuzzer),
# start the services the tests use (a real redis-server on a free loopback port), and run
# the whole suite under CTest.
#
#   tests/run.sh              everything
#   FH_FUZZ_SECONDS=N         seconds per fuzz target (default 30)
#   FH_TEST_LABELS=REGEX      only these CTest labels in the Release tree (e.g. unit)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
: "${FH_FUZZ_SECONDS:=30}"
JOBS=$(nproc)

deploy/install-deps.sh

SHARED="$SRC/../shared"
[ -d "$SHARED/captures" ] || echo "tests/run.sh: note: $SHARED/captures not found; tests on shared captures are skipped"

build() { # dir, cmake args...
    local dir=$1; shift
    cmake -S "$SRC" -B "$dir" -G Ninja -DFH_SHARED_DIR="$SHARED" "$@" >"$dir.configure.log" 2>&1 ||
        { cat "$dir.configure.log"; exit 1; }
    cmake --build "$dir" -j "$JOBS"
}
mkdir -p build-test
build build-test/release -DCMAKE_BUILD_TYPE=Release
build build-test/asan -DCMAKE_BUILD_TYPE=Asan
CC=clang build build-test/fuzz -DCMAKE_BUILD_TYPE=Release -DFH_FUZZ=ON \
    -DFH_FUZZ_SECONDS="$FH_FUZZ_SECONDS"

# A real Redis on a free loopback port, for the tests labelled redis.
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REDIS_DIR=$(mktemp -d)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$REDIS_DIR" --daemonize yes --pidfile "$REDIS_DIR/redis.pid" >/dev/null
cleanup() {
    [ -f "$REDIS_DIR/redis.pid" ] && kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
    rm -rf "$REDIS_DIR"
}
trap cleanup EXIT
export FH_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

rc=0
label_args=()
[ -n "${FH_TEST_LABELS:-}" ] && label_args=(-L "$FH_TEST_LABELS")
echo "== Release build: the whole suite"
ctest --test-dir build-test/release --output-on-failure -j "$JOBS" "${label_args[@]}" || rc=1
echo "== ASan/UBSan build: unit tests, and the integration tests of analyze, query, filters and the web view"
ctest --test-dir build-test/asan --output-on-failure -j "$JOBS" -L 'unit|detect|filter|web' || rc=1
echo "== libFuzzer targets, ${FH_FUZZ_SECONDS}s each"
ctest --test-dir build-test/fuzz --output-on-failure -L fuzz || rc=1
exit $rc
