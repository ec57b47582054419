#!/usr/bin/env python3
"""The cost of a closed breaker and a concurrency limit per request, against the same route
without options, in one server and the same run (bench/src/bin/resilience_server.rs).

1. Instructions per request (callgrind, user space): the server runs under
   `valgrind --tool=callgrind --instr-atstart=no` on core 0; instrumentation is switched on
   for a warm-up, then for each route the counters are zeroed, `wrk -t1 -c16` runs
   COUNTED_S seconds on it, and the dump's total is divided by wrk's request count. Routes
   alternate, ROUNDS times.
2. req/s: the server runs natively on core 0, wrk on core 1 (`-t1 -c64`), routes
   alternating, ROUNDS rounds of RUN_S seconds; the ratio of each round, and their median.

    python3 bench/resilience/measure.py [ROUNDS]

Needs valgrind and wrk; builds the server (release) with CARGO_TARGET_DIR, default
target/.
"""
import os
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "e2e"))
from instructions import calls_of  # noqa: E402
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BINARY = TARGET / "release" / "resilience_server"
PORT = 8090
COUNTED_S = 3
RUN_S = 5
ROUTES = ["/plain", "/guard"]  # the same length: the path is parsed and checked


def wait_port(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def wrk(path, seconds, connections):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
         f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return requests, rate


def control(pid, *args):
    subprocess.run(["callgrind_control", *args, str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def instructions(rounds):
    counts = {route: [] for route in ROUTES}
    mallocs = {route: [] for route in ROUTES}
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "callgrind.out"
        proc = subprocess.Popen(
            ["taskset", "-c", "0", "valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={out}", str(BINARY), f"127.0.0.1:{PORT}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(PORT)
            control(proc.pid, "-i", "on")
            for route in ROUTES:
                wrk(route, 2, 16)
            for _ in range(rounds):
                for route in ROUTES:
                    control(proc.pid, "-z")
                    requests, _ = wrk(route, COUNTED_S, 16)
                    for old in pathlib.Path(tmp).glob("callgrind.out*"):
                        old.unlink()
                    control(proc.pid, "-d")
                    total = 0
                    for dump in pathlib.Path(tmp).glob("callgrind.out*"):
                        for line in dump.read_text().splitlines():
                            if line.startswith("summary:") or line.startswith("totals:"):
                                total = max(total, int(line.split()[1]))
                        mallocs[route].append(calls_of(dump, "malloc") / requests)
                    counts[route].append(total / requests)
        finally:
            proc.terminate()
            proc.wait()
    return counts, mallocs


def rates(rounds):
    proc = subprocess.Popen(["taskset", "-c", "0", str(BINARY), f"127.0.0.1:{PORT}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(PORT)
        for route in ROUTES:
            wrk(route, 2, 64)
        result = {route: [] for route in ROUTES}
        for _ in range(rounds):
            for route in ROUTES:
                result[route].append(wrk(route, RUN_S, 64)[1])
        return result
    finally:
        proc.terminate()
        proc.wait()


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    subprocess.run(["cargo", "build", "--release", "-p", "routemark-bench", "--bin",
                    "resilience_server"], check=True, cwd=ROOT)
    counts, mallocs = instructions(rounds)
    plain, guarded = (statistics.median(counts[r]) for r in ROUTES)
    print("| route | instructions per request, median (range) | mallocs per request |")
    print("|---|---:|---:|")
    for route in ROUTES:
        c = counts[route]
        m = statistics.median(mallocs[route])
        print(f"| `{route}` | {statistics.median(c):,.0f} ({min(c):,.0f}–{max(c):,.0f}) | {m:.1f} |")
    print(f"\nguarded / plain: {guarded / plain:.4f}\n")
    r = rates(rounds)
    ratios = [g / p for p, g in zip(r["/plain"], r["/guard"])]
    print("| route | req/s per round |")
    print("|---|---|")
    for route in ROUTES:
        print(f"| `{route}` | {', '.join(f'{x:,.0f}' for x in r[route])} |")
    print(f"\nguarded / plain req/s, median of the rounds' ratios: {statistics.median(ratios):.3f}"
          f" ({min(ratios):.3f}–{max(ratios):.3f})")


if __name__ == "__main__":
    main()
