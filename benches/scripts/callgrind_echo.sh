#!/usr/bin/env bash
# User-space instructions per request of one echo server, with valgrind's callgrind
# (instruction counts do not depend on how busy the machine is).
#
#   benches/scripts/callgrind_echo.sh SERVER_BIN [CONNS] [SECS] [-- SERVER_ARGS...]
#   e.g. benches/scripts/callgrind_echo.sh echo_uring_rt 16 6 -- --multishot
#
# Starts target/release/SERVER_BIN under callgrind pinned to CPU 0, drives it with `loadgen`
# (64 B ping-pong, pinned to CPU 1) for 2 s of warm-up and SECS measured, zeroes the counts
# when the measured window starts and dumps them when it ends, and prints the instructions
# counted divided by the requests loadgen reports for that window, then the functions with
# the most instructions (inlined code is listed under the function it was inlined into).
# Needs valgrind (Debian: valgrind); build first: cargo build --release -p benches --bins.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${1:?usage: callgrind_echo.sh SERVER_BIN [CONNS] [SECS] [-- SERVER_ARGS...]}
shift
conns=${1:-16}; [ $# -gt 0 ] && shift
secs=${1:-6}; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
release=target/release
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=$((24000 + RANDOM % 1000))

taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
    "$release/$bin" --addr "127.0.0.1:$port" "$@" >/dev/null 2>"$out/valgrind.err" &
server=$!
trap 'kill -9 $server 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
"$release/loadgen" --addr "127.0.0.1:$port" --conns "$conns" --size 64 --warmup 2 \
    --duration "$secs" --cpu 1 >"$out/loadgen.json" &
loadgen=$!
sleep 2
callgrind_control -z "$server" >/dev/null
sleep "$secs"
callgrind_control -d "$server" >/dev/null
wait "$loadgen"
kill -9 "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true

requests=$(grep -o '"requests":[0-9]*' "$out/loadgen.json" | cut -d: -f2)
dump=$(ls -t "$out"/cg.out.* | head -1)
total=$(callgrind_annotate "$dump" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
echo "$bin $* conns=$conns: $total instructions / $requests requests = $((total / requests)) per request"
callgrind_annotate --auto=no --threshold=100 "$dump" | awk -v req="$requests" '
    /^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
        n = $1; gsub(",", "", n)
        fn = $0; sub(/^[^:]*:/, "", fn); sub(/ \[.*$/, "", fn)
        cost[fn] += n
    }
    END { for (f in cost) printf "%8.1f  %s\n", cost[f] / req, f }' |
    sort -rn | grep -v -E 'main|lang_start|backtrace|0x0000' | head -25
