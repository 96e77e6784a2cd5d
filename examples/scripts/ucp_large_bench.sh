#!/usr/bin/env bash
# ucp against cp (coreutils) on one 2 GiB file, alternating: each round runs every command
# once (hyperfine --runs 1), in an order shuffled round by round, with the page cache dropped
# and the destination removed before every run (needs root). Prints each run's wall time, then
# per command the median, min and max over the rounds, the median of the per-round ratios to
# cp (paired: the same round's load), and in how many rounds it beat cp.
#
#   bash examples/scripts/ucp_large_bench.sh            # DIR=/var/tmp/ucp-bench ROUNDS=7
#   bash examples/scripts/ucp_large_bench.sh | tee bench-results/ucp-large-$(date +%F).txt
#
# EXTRA="name=command;name=command" adds commands ({ucp}, {src} and {dst} are replaced);
# ONLY="cp,ucp" runs only the commands so named.
# The source (2 GiB of random bytes) is kept in $DIR/src/big between runs. Not run by CI.
set -euo pipefail

DIR=${DIR:-/var/tmp/ucp-bench}
ROUNDS=${ROUNDS:-7}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for tool in hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "ucp_large_bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "ucp_large_bench: run as root (drop_caches)" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -q -p examples --bin ucp)
UCP="$TARGET/release/ucp"

mkdir -p "$DIR/src"
if [ ! -f "$DIR/src/big" ]; then
    echo "ucp_large_bench: writing $DIR/src/big (2 GiB)" >&2
    head -c 2G /dev/urandom >"$DIR/src/big.tmp" && mv "$DIR/src/big.tmp" "$DIR/src/big"
fi
sync

names=("cp" "ucp" "ucp --no-kernel-copy" "ucp --direct")
cmds=("cp --preserve=mode,timestamps '$DIR/src/big' '$DIR/dst'"
      "'$UCP' --no-progress '$DIR/src/big' '$DIR/dst'"
      "'$UCP' --no-kernel-copy --no-progress '$DIR/src/big' '$DIR/dst'"
      "'$UCP' --direct --no-progress '$DIR/src/big' '$DIR/dst'")
if [ -n "${EXTRA:-}" ]; then
    IFS=';' read -ra extra <<<"$EXTRA"
    for e in "${extra[@]}"; do
        c=${e#*=}
        c=${c//\{ucp\}/"'$UCP'"}
        c=${c//\{src\}/"'$DIR/src/big'"}
        c=${c//\{dst\}/"'$DIR/dst'"}
        names+=("${e%%=*}")
        cmds+=("$c")
    done
fi

prepare="rm -rf '$DIR/dst'; sync; echo 3 > /proc/sys/vm/drop_caches"
results=$(mktemp -d)
trap 'rm -rf "$results" "$DIR/dst"' EXIT
n=${#names[@]}
echo "ucp_large_bench: $(date -u +%FT%TZ) $(uname -r) $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < ROUNDS; r++)); do
    args=()
    # A fresh order each round (seeded by the round number: repeatable), so that no command
    # always follows the same other one (a run can leave the disk busy for the next).
    for j in $(python3 -c "import random; o = list(range($n)); random.Random($r).shuffle(o); print(*o)"); do
        if [ -n "${ONLY:-}" ] && [[ ",$ONLY," != *",${names[j]},"* ]]; then continue; fi
        args+=(-n "${names[j]}" "${cmds[j]}")
    done
    hyperfine --runs 1 --prepare "$prepare" --export-json "$results/round$r.json" \
        --style basic "${args[@]}" >/dev/null
    python3 - "$results/round$r.json" "$r" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
print(f"round {sys.argv[2]}: " + ", ".join(f"{x['command']} {x['median']:.2f} s" for x in rs), flush=True)
PY
done
echo "ucp_large_bench: done $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$ROUNDS" <<'PY'
import json, statistics, sys
times = {}
for r in range(int(sys.argv[2])):
    for x in json.load(open(f"{sys.argv[1]}/round{r}.json"))["results"]:
        times.setdefault(x["command"], []).append(x["median"])
cp = times["cp"]
print("\n| command | median | min | max | cp / command (medians) | cp / command per round: median | faster than cp |")
print("|---|---|---|---|---|---|---|")
for name, ts in times.items():
    m = statistics.median(ts)
    ratios = [c / t for c, t in zip(cp, ts)]
    wins = sum(t < c for c, t in zip(cp, ts))
    print(f"| {name} | {m:.2f} s | {min(ts):.2f} s | {max(ts):.2f} s | "
          f"{statistics.median(cp) / m:.2f}x | {statistics.median(ratios):.2f}x | {wins} of {len(ts)} rounds |")
PY
