#!/usr/bin/env python3
"""End-to-end: the same 203 GitHub API routes (with their methods) served by routemark, axum,
actix-web and bare hyper, driven by wrk, per ../../../shared/BENCHMARKS.md section 2.

- server pinned to core 0, one worker thread (current-thread tokio; actix `workers(1)`);
  wrk pinned to core 1, `-t1 -c64 -d10s`, keep-alive, no pipelining, requests spread over
  the 203 routes, each with its method (requests.lua);
- ROUNDS interleaved rounds, each starting one server further on (A B C D, B C D A, ...), a
  fresh server each round, 2 s warm-up;
- per round and server: max req/s (with the server's CPU use, to show whether it was the
  bottleneck), then a fixed-rate run (16 connections, 1 ms pause before each request, the
  same offered load for every server) giving server CPU time per request (utime + stime
  from /proc/PID/stat, all threads) and p99 latency;
- prints the medians and the ratios to axum, actix-web and bare hyper as a Markdown table,
  then the median of the rounds' own ratios with their range (BENCHMARKS.md: a ratio is
  taken within a round, where the machine's state is shared), req/s and CPU per request
  over the saturated run (utime + stime / requests) and at the fixed rate; then the saturated
  CPU split into user and system time (where a gap between two servers lies).

    python3 bench/e2e/run.py [ROUNDS] [DURATION_S]

Builds the apps first (release, LTO) with CARGO_TARGET_DIR=target/bench-e2e.
"""
import os
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import time
import http.client

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target" / "bench-e2e"))
SERVERS = [("routemark", "e2e-routemark"), ("axum", "e2e-axum"),
           ("actix-web", "e2e-actix"), ("hyper", "e2e-hyper")]
# E2E_EXTRA="name=/path/to/binary,...": more servers in the same rounds (say, routemark built
# before a change, for a before/after in one run).
EXTRA = [tuple(item.split("=", 1)) for item in os.environ.get("E2E_EXTRA", "").split(",") if item]
# E2E_LUA=one-route.lua: wrk sends every request to one route (gen.py makes it) instead of
# the 203 in turn; the difference is what spreading the requests over the routes costs.
LUA = HERE / os.environ.get("E2E_LUA", "requests.lua")
TICK = os.sysconf("SC_CLK_TCK")
FIXED_CONNECTIONS = 16
FIXED_DELAY_MS = 1


def build_apps():
    """Builds each app on its own (release, LTO), as its own users would. One `cargo build` of
    the whole workspace would unify the features of their dependencies: actix-web turns on
    `tracing`'s `log` feature, which then reaches routemark, axum and bare hyper too (through
    h2's spans) and moves LTO's inlining in their HTTP/2 code."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
    for _, binary in SERVERS:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", binary], cwd=HERE,
                       env=env, check=True)


def user_system_seconds(pid):
    """The process's user and system CPU time so far, all threads."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK  # utime, stime (fields 14, 15)


def cpu_seconds(pid):
    return sum(user_system_seconds(pid))


def wait_port(port):
    for _ in range(5000):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.002)
    raise RuntimeError(f"nothing listens on {port}")


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        print(f"    (unparsed latency {text!r})", file=sys.stderr)
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def wrk(port, duration, connections, delay=None):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
           "-s", str(LUA), f"http://127.0.0.1:{port}"]
    if delay is not None:
        cmd += ["--", str(delay)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = to_ms(re.search(r"99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    return requests, rps, p99


def check(port):
    """Every route answers its method with 200 and the same body, as wrk sends it (no body;
    `content-length: 0` on POST, PUT and PATCH); returns the header names of one answer."""
    routes = re.findall(r'\{"([A-Z]+)", "(/[^"]*)"\}', (HERE / "requests.lua").read_text())
    assert len(routes) == 203, len(routes)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for method, path in routes:
        headers = {"content-length": "0"} if method in ("POST", "PUT", "PATCH") else {}
        conn.request(method, path, headers=headers)
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b"Hello, world!", (method, path, r.status)
        names = sorted(k.lower() for k in r.headers.keys())
    conn.close()
    return names


def one(name, binary, port, duration, first):
    proc = subprocess.Popen(["taskset", "-c", "0", str(binary), f"127.0.0.1:{port}"],
                            stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        if first:
            print(f"{name}: headers {check(port)}", file=sys.stderr)
        wrk(port, 2, 64)  # warm-up
        (u0, s0), t0 = user_system_seconds(proc.pid), time.monotonic()
        n, rps, p99_max = wrk(port, duration, 64)
        u1, s1 = user_system_seconds(proc.pid)
        c0, c1 = u0 + s0, u1 + s1
        busy = (c1 - c0) / (time.monotonic() - t0)
        saturated_cpu_us = (c1 - c0) / n * 1e6
        fixed_n, fixed_rps, p99 = wrk(port, duration, FIXED_CONNECTIONS, FIXED_DELAY_MS)
        cpu_us = (cpu_seconds(proc.pid) - c1) / fixed_n * 1e6
    finally:
        proc.terminate()
        proc.wait()
    print(f"  {name}: {rps:,.0f} req/s (server core {busy:.0%} busy, p99 {p99_max:.2f} ms); "
          f"fixed {fixed_rps:,.0f} req/s: {cpu_us:.1f} us CPU/req, p99 {p99:.3f} ms", file=sys.stderr)
    return {"rps": rps, "busy": busy, "cpu_us": cpu_us, "p99": p99, "fixed_rps": fixed_rps,
            "sat_cpu_us": saturated_cpu_us, "sat_user_us": (u1 - u0) / n * 1e6,
            "sat_system_us": (s1 - s0) / n * 1e6}


def spread(values):
    """`median (min–max)` of per-round ratios: the median of the rounds' own ratios, never
    a ratio of medians, with every round shown by its range."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def round_ratios(results, name, peer, key):
    return [a[key] / b[key] for a, b in zip(results[name], results[peer])]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    duration = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    build_apps()
    servers = [(name, TARGET / "release" / binary) for name, binary in SERVERS]
    servers += [(name, pathlib.Path(binary)) for name, binary in EXTRA]
    results = {name: [] for name, _ in servers}
    port = 18080
    for r in range(rounds):
        print(f"round {r + 1}/{rounds}", file=sys.stderr)
        # Each round starts one server further on (A B C D, B C D A, ...): no server always
        # runs first or last in its round, where a drift of the machine within a round would
        # always favour or always cost it.
        turn = r % len(servers)
        for name, binary in servers[turn:] + servers[:turn]:
            port += 1
            results[name].append(one(name, binary, port, duration, r == 0))
            print(f"    raw {name} {results[name][-1]}", file=sys.stderr)

    def med(name, key):
        # A latency wrk printed in a form `to_ms` does not know is left out, not a NaN median.
        values = [x[key] for x in results[name] if x[key] == x[key]]
        return statistics.median(values) if values else float("nan")

    print(f"| server | req/s (median of {rounds}) | x axum | x actix-web | x hyper | server core busy "
          f"| CPU per request at {FIXED_CONNECTIONS} conns x {FIXED_DELAY_MS} ms pause (~{med('hyper', 'fixed_rps'):,.0f} req/s) "
          f"| x axum | p99 at that rate | x axum |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, _ in servers:
        rps, cpu, p99 = med(name, "rps"), med(name, "cpu_us"), med(name, "p99")
        print(f"| {name} | {rps:,.0f} | {rps / med('axum', 'rps'):.3f} | {rps / med('actix-web', 'rps'):.3f} "
              f"| {rps / med('hyper', 'rps'):.3f} | {med(name, 'busy'):.0%} | {cpu:.2f} us "
              f"| {cpu / med('axum', 'cpu_us'):.3f} | {p99:.3f} ms | {p99 / med('axum', 'p99'):.3f} |")
    print(f"\nPer-round ratios, median (range) of {rounds} rounds; CPU per request over the "
          "saturated run (utime + stime / requests):\n")
    print("| server | vs | req/s ratio | saturated CPU per request ratio | fixed-rate CPU per request ratio |")
    print("|---|---|---:|---:|---:|")
    for name, _ in servers:
        for peer, _ in servers:
            # The peers, and for an extra server (a variant of routemark) routemark itself.
            peers = ("axum", "actix-web", "hyper") + (("routemark",) if name in dict(EXTRA) else ())
            if peer == name or peer not in peers:
                continue
            print(f"| {name} | {peer} | {spread(round_ratios(results, name, peer, 'rps'))} "
                  f"| {spread(round_ratios(results, name, peer, 'sat_cpu_us'))} "
                  f"| {spread(round_ratios(results, name, peer, 'cpu_us'))} |")
    print(f"\nSaturated CPU per request split into user and system time, medians of {rounds} rounds "
          "(µs), and the median of the rounds' own ratios to bare hyper:\n")
    print("| server | user µs | system µs | user x hyper | system x hyper |")
    print("|---|---:|---:|---:|---:|")
    for name, _ in servers:
        print(f"| {name} | {med(name, 'sat_user_us'):.3f} | {med(name, 'sat_system_us'):.3f} "
              f"| {spread(round_ratios(results, name, 'hyper', 'sat_user_us'))} "
              f"| {spread(round_ratios(results, name, 'hyper', 'sat_system_us'))} |")
    print("\nper round (req/s; CPU us/req):", file=sys.stderr)
    for name, _ in servers:
        print(f"  {name}: " + ", ".join(f"{x['rps']:,.0f}; {x['cpu_us']:.1f}" for x in results[name]),
              file=sys.stderr)


if __name__ == "__main__":
    main()
