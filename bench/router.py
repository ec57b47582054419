#!/usr/bin/env python3
"""Runs the criterion router benchmark RUNS times (default 3) pinned to core 1 and prints
the median time per whole set of each router, the time per lookup and the ratio to matchit,
as a Markdown table (the median, over the runs, of criterion's median estimate).

    python3 bench/router.py [RUNS]

Criterion's output is read from $CARGO_TARGET_DIR/criterion (ROOT/target/criterion when unset).
"""
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Where cargo puts criterion's output: $CARGO_TARGET_DIR when set, as cargo itself does.
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
SETS = [("matchit-130", 130), ("github-203", 203), ("static-157", 157), ("pathtree-315", 315)]
ROUTERS = ["routemark", "matchit", "path-tree", "actix-router"]


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    medians = {}
    for r in range(runs):
        subprocess.run(["taskset", "-c", "1", "cargo", "bench", "-q", "-p", "routemark-bench",
                        "--bench", "router"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        for group, _ in SETS:
            for router in ROUTERS:
                est = TARGET / "criterion" / group / router / "new" / "estimates.json"
                ns = json.loads(est.read_text())["median"]["point_estimate"]
                medians.setdefault((group, router), []).append(ns)
        print(f"run {r + 1}/{runs} done", file=sys.stderr)
    print(f"| set | router | time per set (median of {runs} runs) | per lookup | x matchit "
          f"(ratio of medians) | x matchit (median of per-run ratios) | runs (µs) |")
    print("|---|---|---:|---:|---:|---:|---|")
    for group, n in SETS:
        base_runs = medians[(group, "matchit")]
        base = statistics.median(base_runs)
        for router in ROUTERS:
            ts = medians[(group, router)]
            m = statistics.median(ts)
            per_run = statistics.median(t / b for t, b in zip(ts, base_runs))
            runs_text = ", ".join(f"{t / 1e3:.2f}" for t in ts)
            print(f"| {group} | {router} | {m / 1e3:.2f} µs | {m / n:.1f} ns | {m / base:.2f} "
                  f"| {per_run:.2f} | {runs_text} |")


if __name__ == "__main__":
    main()
