#!/usr/bin/env bash
# Compares two commits of uring-rt on the echo and file benchmarks: builds each commit's
# release `benches` binaries in its own detached worktree (own target dir), then runs them
# alternately (before, after, before, after, ...) and prints medians, min-max spreads and the
# after/before ratio of the medians.
#
#   benches/scripts/before_after.sh BEFORE AFTER
#
# Echo: each commit's `echo_uring_rt` server pinned to CPU 0 (`--cpu`, as `compare` does),
# driven by one `loadgen` binary (AFTER's, the same for both) pinned to CPU 1, workloads
# 1/16/256 connections x 64 B and 16 x 4 KiB; `loadgen --server-pid` samples the server's
# CPU time over the measured window, reported as server CPU ns per request.
# Files: each commit's `fileio` on the same data file, 4 KiB random reads (O_DIRECT and
# buffered) at QD 1/32/128, one round per invocation, alternating; the uring-rt column only
# (fileio also runs its tokio and std-pool engines each round; those figures are dropped).
#
# Environment: BA_DIR (worktrees and results, default /var/tmp/uring-rt-before-after),
# BA_ROUNDS (5), BA_WARMUP (0.25 s), BA_DURATION (0.75 s), BA_FILE_JOBS (fileio job filter,
# default `randread`; empty to skip the file benchmark), BA_SKIP_ECHO=1, BA_NO_BUILD=1,
# SERVER_CPU (0), CLIENT_CPU (1). fileio's own variables (FILEIO_DIR, FILEIO_SECS, ...) pass
# through. Raw samples go to $BA_DIR/echo.tsv and $BA_DIR/fileio.tsv.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 BEFORE AFTER   (two commits)" >&2
    exit 2
fi
repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
dir="${BA_DIR:-/var/tmp/uring-rt-before-after}"
rounds="${BA_ROUNDS:-5}"
warmup="${BA_WARMUP:-0.25}"
duration="${BA_DURATION:-0.75}"
file_jobs="${BA_FILE_JOBS-randread}"
server_cpu="${SERVER_CPU:-0}"
client_cpu="${CLIENT_CPU:-1}"
mkdir -p "$dir"

declare -A tree
for side in before after; do
    if [ "$side" = before ]; then commit="$1"; else commit="$2"; fi
    sha="$(git -C "$repo" rev-parse --verify "$commit^{commit}")"
    tree[$side]="$dir/$side-${sha:0:12}"
    if [ ! -d "${tree[$side]}" ]; then
        git -C "$repo" worktree add --detach "${tree[$side]}" "$sha" >&2
    fi
    if [ "${BA_NO_BUILD:-0}" != 1 ]; then
        echo "== building $side ($commit = ${sha:0:12}) in ${tree[$side]}" >&2
        (cd "${tree[$side]}" && cargo build --release -p benches \
            --bin echo_uring_rt --bin loadgen --bin fileio >&2)
    fi
done
loadgen="${tree[after]}/target/release/loadgen"

# Prints "median min max" of the numbers on stdin.
stats() {
    sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# Waits until something accepts on 127.0.0.1:$1 (10 s at most).
wait_accepting() {
    for _ in $(seq 200); do
        if timeout 0.2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

cases=("64 1" "64 16" "64 256" "4096 16")
if [ "${BA_SKIP_ECHO:-0}" != 1 ]; then
    echo "== echo: ${#cases[@]} workloads x $rounds rounds x 2 servers" \
        "(${warmup} s warm-up + ${duration} s measured each)" >&2
    printf 'side\tsize\tconns\tround\trps\tcpu_ns_per_req\tp50_us\n' >"$dir/echo.tsv"
    port=23000
    for case in "${cases[@]}"; do
        read -r size conns <<<"$case"
        for round in $(seq "$rounds"); do
            for side in before after; do
                port=$((port + 1))
                "${tree[$side]}/target/release/echo_uring_rt" \
                    --addr "127.0.0.1:$port" --cpu "$server_cpu" </dev/null >/dev/null &
                pid=$!
                if ! wait_accepting "$port"; then
                    kill "$pid" 2>/dev/null || true
                    echo "server $side did not start on port $port" >&2
                    exit 1
                fi
                out="$("$loadgen" --addr "127.0.0.1:$port" --conns "$conns" --size "$size" \
                    --warmup "$warmup" --duration "$duration" --cpu "$client_cpu" \
                    --server-pid "$pid" </dev/null)"
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
                line="$(jq -r --arg s "$side" --arg z "$size" --arg c "$conns" --arg r "$round" \
                    '[$s, $z, $c, $r, (.rps | floor),
                      ((.server_cpu_ns / .requests) | floor), .p50_us] | @tsv' <<<"$out")"
                echo "$line" >>"$dir/echo.tsv"
                echo "  $line" >&2
            done
        done
    done

    echo
    echo "echo_uring_rt, server CPU ns/request and req/s: median (min-max) of $rounds rounds"
    printf '%-16s %-22s %-22s %-6s %-22s %-22s %-6s\n' workload "before ns/req" \
        "after ns/req" ratio "before req/s" "after req/s" ratio
    for case in "${cases[@]}"; do
        read -r size conns <<<"$case"
        declare -A m=()
        for side in before after; do
            for col in 5 6; do
                read -r med lo hi < <(awk -F'\t' -v s="$side" -v z="$size" -v c="$conns" \
                    -v k="$col" '$1 == s && $2 == z && $3 == c { print $k }' "$dir/echo.tsv" | stats)
                m[$side$col]="$med"
                m[$side${col}s]="$med ($lo-$hi)"
            done
        done
        printf '%-16s %-22s %-22s %-6s %-22s %-22s %-6s\n' "$conns x $size B" \
            "${m[before6s]}" "${m[after6s]}" "$(awk -v a="${m[after6]}" -v b="${m[before6]}" \
            'BEGIN { printf "%.2f", a / b }')" "${m[before5s]}" "${m[after5s]}" \
            "$(awk -v a="${m[after5]}" -v b="${m[before5]}" 'BEGIN { printf "%.2f", a / b }')"
    done
fi

if [ -n "$file_jobs" ]; then
    echo "== fileio ($file_jobs): $rounds rounds x 2 binaries, alternating" >&2
    printf 'side\tround\tjob\turing_rt\n' >"$dir/fileio.tsv"
    for round in $(seq "$rounds"); do
        for side in before after; do
            # fileio prints one row per job: the 4-word label, then uring-rt's figure. fio is
            # kept off its PATH: its column is not used here and would only take time.
            PATH=/nonexistent FILEIO_ROUNDS=1 FILEIO_JOBS="$file_jobs" \
                "${tree[$side]}/target/release/fileio" </dev/null |
                awk -v s="$side" -v r="$round" '$1 ~ /^(randread|seqread|seqwrite)$/ {
                    printf "%s\t%s\t%s %s %s %s\t%s\n", s, r, $1, $2, $3, $4, $5 }' |
                tee -a "$dir/fileio.tsv" >&2
        done
    done

    echo
    echo "fileio, uring-rt column (IOPS, or MiB/s for seq jobs): median (min-max) of $rounds rounds"
    printf '%-28s %-26s %-26s %-6s\n' job before after ratio
    awk -F'\t' 'NR > 1 && !seen[$3]++ { print $3 }' "$dir/fileio.tsv" | while read -r job; do
        read -r bm blo bhi < <(awk -F'\t' -v j="$job" '$1 == "before" && $3 == j { print $4 }' \
            "$dir/fileio.tsv" | stats)
        read -r am alo ahi < <(awk -F'\t' -v j="$job" '$1 == "after" && $3 == j { print $4 }' \
            "$dir/fileio.tsv" | stats)
        printf '%-28s %-26s %-26s %-6s\n' "$job" "$bm ($blo-$bhi)" "$am ($alo-$ahi)" \
            "$(awk -v a="$am" -v b="$bm" 'BEGIN { printf "%.2f", a / b }')"
    done
fi
