#!/usr/bin/env bash
# ucp against cp (coreutils) and rsync: one 2 GiB file, and a tree of 20,000 files of 4 KiB
# (20 directories of 1,000). The page cache is dropped before every run (needs root);
# hyperfine reports each tool's median wall time (the runs of one tool follow each other).
#
#   bash examples/scripts/ucp_bench.sh              # DIR=/var/tmp/ucp-bench RUNS=5
#
# Every tool copies the same way: data, permissions and times (cp -r
# --preserve=mode,timestamps; rsync -a also sets owner and group). The source data
# (about 2.1 GiB) is kept in $DIR between runs; delete it when done. Not run by CI.
set -euo pipefail

DIR=${DIR:-/var/tmp/ucp-bench}
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for tool in hyperfine rsync python3; do
    command -v "$tool" >/dev/null || { echo "ucp_bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "ucp_bench: run as root (drop_caches)" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -q -p examples --bin ucp)
UCP="$TARGET/release/ucp"

mkdir -p "$DIR/src"
if [ ! -f "$DIR/src/big" ]; then
    echo "ucp_bench: writing $DIR/src/big (2 GiB)" >&2
    head -c 2G /dev/urandom >"$DIR/src/big.tmp" && mv "$DIR/src/big.tmp" "$DIR/src/big"
fi
if [ ! -d "$DIR/src/tree" ]; then
    echo "ucp_bench: writing $DIR/src/tree (20,000 x 4 KiB)" >&2
    mkdir -p "$DIR/src/tree.tmp"
    for d in $(seq -w 0 19); do
        mkdir "$DIR/src/tree.tmp/d$d"
        head -c $((1000 * 4096)) /dev/urandom | split -b 4096 -a 4 -d - "$DIR/src/tree.tmp/d$d/f"
    done
    mv "$DIR/src/tree.tmp" "$DIR/src/tree"
fi
sync

prepare="rm -rf '$DIR/dst'; sync; echo 3 > /proc/sys/vm/drop_caches"
results=$(mktemp -d)
trap 'rm -rf "$results" "$DIR/dst"' EXIT

hyperfine --runs "$RUNS" --prepare "$prepare" --export-json "$results/file.json" \
    -n ucp "'$UCP' --no-progress '$DIR/src/big' '$DIR/dst'" \
    -n "ucp --direct" "'$UCP' --direct --no-progress '$DIR/src/big' '$DIR/dst'" \
    -n cp "cp --preserve=mode,timestamps '$DIR/src/big' '$DIR/dst'" \
    -n rsync "rsync -a '$DIR/src/big' '$DIR/dst'"
hyperfine --runs "$RUNS" --prepare "$prepare" --export-json "$results/tree.json" \
    -n ucp "'$UCP' -r --no-progress '$DIR/src/tree' '$DIR/dst'" \
    -n cp "cp -r --preserve=mode,timestamps '$DIR/src/tree' '$DIR/dst'" \
    -n rsync "rsync -a '$DIR/src/tree/' '$DIR/dst/'"

python3 - "$results" <<'PY'
import json, sys
print("\n| workload | ucp | ucp --direct | cp | rsync | cp / ucp | rsync / ucp |")
print("|---|---|---|---|---|---|---|")
for name, label in (("file", "2 GiB file"), ("tree", "20,000 x 4 KiB files")):
    r = {x["command"]: x["median"] for x in json.load(open(f"{sys.argv[1]}/{name}.json"))["results"]}
    direct = f"{r['ucp --direct']:.2f} s" if "ucp --direct" in r else "-"
    print(f"| {label} | {r['ucp']:.2f} s | {direct} | {r['cp']:.2f} s | {r['rsync']:.2f} s | "
          f"{r['cp'] / r['ucp']:.2f}x | {r['rsync'] / r['ucp']:.2f}x |")
PY
