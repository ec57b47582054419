#!/usr/bin/env python3
"""HTTP/2 end to end: the 203-route apps driven by h2load over h2c with prior knowledge
(no upgrade), 16 connections x 32 concurrent streams, the GET routes of requests.lua in turn.

Same discipline as run.py: server pinned to core 0 (one worker thread), h2load pinned to
core 1, a fresh server per round, rounds interleaved, each starting one server further on
(A B C D, B C D A, ...), a 2 s warm-up;
per round and server: req/s, failed and errored requests, and server CPU per request
(utime + stime from /proc/PID/stat). Prints the medians and, per round, the ratio of
routemark to each peer, then the median of those ratios with their range.

    python3 bench/e2e/h2.py [ROUNDS] [DURATION_S]

Needs h2load (Debian: nghttp2-client). A server that does not speak h2c with prior
knowledge is reported as such, not dropped silently.
"""
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run import EXTRA, HERE, SERVERS, TARGET, build_apps, cpu_seconds, wait_port  # noqa: E402

CONNECTIONS = 16
STREAMS = 32


def uris(port):
    routes = re.findall(r'\{"GET", "(/[^"]*)"\}', (HERE / "requests.lua").read_text())
    return [f"http://127.0.0.1:{port}{path}" for path in routes]


def h2load(port, duration, uri_file):
    cmd = ["taskset", "-c", "1", "h2load", f"-c{CONNECTIONS}", f"-m{STREAMS}", "-t1",
           f"-D{duration}", "-i", uri_file]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    done = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                     r"(\d+) failed, (\d+) errored", out)
    rps = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    if not done or not rps:
        raise RuntimeError(f"h2load output not understood:\n{out}")
    succeeded, failed, errored = int(done.group(4)), int(done.group(5)), int(done.group(6))
    status_2xx = int(re.search(r"status codes: (\d+) 2xx", out).group(1))
    return float(rps.group(1)), succeeded, failed + errored, status_2xx


# Bare hyper serves HTTP/1.1 unless told `h2` (its HTTP/1 baseline stays untouched);
# `hyper+keepalive` is the same binary with routemark's HTTP/2 keep-alive default (a PING
# every 20 s, and the timer it needs), the part of the gap that is that setting's.
HYPER_MODES = {"hyper": ["h2"], "hyper+keepalive": ["h2-keepalive"]}


def one(name, binary, port, duration):
    extra = HYPER_MODES.get(name, [])
    proc = subprocess.Popen(["taskset", "-c", "0", str(binary), f"127.0.0.1:{port}", *extra],
                            stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("\n".join(uris(port)) + "\n")
            f.flush()
            h2load(port, 2, f.name)  # warm-up
            c0 = cpu_seconds(proc.pid)
            rps, succeeded, bad, ok = h2load(port, duration, f.name)
            cpu_us = (cpu_seconds(proc.pid) - c0) / max(succeeded, 1) * 1e6
    finally:
        proc.terminate()
        proc.wait()
    if succeeded == 0 or bad or ok != succeeded:
        print(f"  {name}: no clean h2c run ({succeeded} succeeded, {bad} failed or errored, "
              f"{ok} 2xx)", file=sys.stderr)
        return None
    print(f"  {name}: {rps:,.0f} req/s, {cpu_us:.1f} us CPU/req", file=sys.stderr)
    return {"rps": rps, "cpu_us": cpu_us}


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    duration = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    build_apps()
    servers = [(name, TARGET / "release" / binary) for name, binary in SERVERS]
    servers.append(("hyper+keepalive", TARGET / "release" / "e2e-hyper"))
    servers += [(name, pathlib.Path(binary)) for name, binary in EXTRA]
    results = {name: [] for name, _ in servers}
    port = 28080
    for r in range(rounds):
        print(f"round {r + 1}/{rounds}", file=sys.stderr)
        # Each round starts one server further on, as in run.py.
        turn = r % len(servers)
        for name, binary in servers[turn:] + servers[:turn]:
            port += 1
            results[name].append(one(name, binary, port, duration))
            time.sleep(0.2)
    print(f"| server | req/s (median of {rounds}) | CPU per request | routemark ÷ server, "
          "median of the rounds' ratios (range) |")
    print("|---|---:|---:|---:|")
    for name, _ in servers:
        runs = [x for x in results[name] if x]
        if not runs:
            print(f"| {name} | no clean h2c run | | |")
            continue
        ratios = [a["rps"] / b["rps"] for a, b in zip(results["routemark"], results[name])
                  if a and b]
        ratio = (f"{statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f})"
                 if ratios else "-")
        print(f"| {name} | {statistics.median(x['rps'] for x in runs):,.0f} | "
              f"{statistics.median(x['cpu_us'] for x in runs):.1f} us | {ratio} |")


if __name__ == "__main__":
    main()
