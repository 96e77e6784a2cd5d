#!/usr/bin/env bash
# Drives an HTTP example server (examples/http_hello, or BIN=hyper_server) with wrk and fails
# unless every request succeeded: zero socket errors (connect, read, write, timeout) and zero
# non-2xx responses at 1,000 connections.
#
#   bash examples/scripts/wrk_http.sh            # defaults: 1000 connections, 5 s, 2 cores
#   CONNS=2000 DURATION=10s CORES=1 bash examples/scripts/wrk_http.sh
#   BIN=hyper_server bash examples/scripts/wrk_http.sh   # hyper through uring_rt::compat
#
# Installs wrk from Debian's packages when it is missing (needs root, as on CI).
set -euo pipefail

CONNS=${CONNS:-1000}
DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CORES=${CORES:-2}
PORT=${PORT:-18080}
BIN=${BIN:-http_hello}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

if ! command -v wrk >/dev/null; then
    echo "wrk_http: installing wrk" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

# Each connection is one fd on each side (wrk and the server), plus slack.
need=$((CONNS + 256))
if [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$(ulimit -Hn)"
fi
if [ "$(ulimit -n)" -lt "$need" ]; then
    echo "wrk_http: ulimit -n is $(ulimit -n), need $need" >&2
    exit 1
fi

(cd "$ROOT" && cargo build --release -q -p examples --bin "$BIN")

log=$(mktemp)
"$TARGET/release/$BIN" --addr "127.0.0.1:$PORT" --cores "$CORES" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 100); do
    grep -q "listening" "$log" && break
    if ! kill -0 "$server" 2>/dev/null; then
        echo "wrk_http: server exited:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done
grep -q "listening" "$log" || { echo "wrk_http: server did not start" >&2; exit 1; }

# The server answers correctly before we load it.
reply=$(printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; cat <&3")
case "$reply" in
    *"200 OK"*"Hello, world!"*) ;;
    *) echo "wrk_http: bad reply: $reply" >&2; exit 1 ;;
esac

out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s "http://127.0.0.1:$PORT/")
echo "$out"

fail=0
if grep -q "Socket errors" <<<"$out"; then
    echo "wrk_http: FAIL: socket errors at $CONNS connections" >&2
    fail=1
fi
if grep -q "Non-2xx" <<<"$out"; then
    echo "wrk_http: FAIL: non-2xx responses" >&2
    fail=1
fi
requests=$(awk '/requests in/ {print $1}' <<<"$out")
if [ -z "$requests" ] || [ "$requests" -eq 0 ]; then
    echo "wrk_http: FAIL: no requests completed" >&2
    fail=1
fi
if ! kill -0 "$server" 2>/dev/null; then
    echo "wrk_http: FAIL: the server died" >&2
    cat "$log" >&2
    fail=1
fi
[ "$fail" -eq 0 ] && echo "wrk_http: OK: $requests requests, zero socket errors at $CONNS connections"
exit "$fail"
