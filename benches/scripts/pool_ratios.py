#!/usr/bin/env python3
"""Pools the per-round CPU-per-request ratios of several `compare --json` runs.

    python3 benches/scripts/pool_ratios.py RUN1.json [RUN2.json ...]

Every server of one round of one run shares that round's machine, so the ratio of a server's
CPU per request to tokio `current_thread`'s (and to the raw `DEFER_TASKRUN` loop's) in the same
round cancels out how busy the machine was. This prints, for each workload and server, the
median of those ratios over every round of every run given, and how many rounds it pooled
(the `pCPU/ct` column of `compare`, across runs).
"""

import json
import statistics
import sys

REFERENCES = ("tokio-ct", "raw-uring-defer")


def main(paths):
    ratios = {}
    for run, path in enumerate(paths):
        with open(path) as f:
            runs = json.load(f)["runs"]
        cpu = {
            (run, r["round"], r["size"], r["conns"], r["server"]): r["cpu_ns_per_req"]
            for r in runs
        }
        for (run_, rnd, size, conns, server), value in cpu.items():
            for ref in REFERENCES:
                base = cpu.get((run_, rnd, size, conns, ref))
                if base and server != ref:
                    ratios.setdefault((size, conns, server, ref), []).append(value / base)
    for (size, conns, server, ref), values in sorted(ratios.items()):
        print(
            f"{size:5} B {conns:4} conns  {server:18} vs {ref:16} "
            f"rounds {len(values):3}  median {statistics.median(values):.2f}"
        )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: pool_ratios.py RUN.json [RUN.json ...]")
    main(sys.argv[1:])
