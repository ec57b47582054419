#!/usr/bin/env python3
"""User-space instructions per request of the end-to-end apps, counted by callgrind.

Unlike req/s and CPU time, an instruction count does not move with what else the machine
runs, so this is the figure to compare two builds of a server on a shared machine. Each
server runs under `valgrind --tool=callgrind --instr-atstart=no`, pinned to core 0;
instrumentation is switched on for a 2 s `wrk -t1 -c16` warm-up (requests.lua: the 203
routes with their methods), the counters are zeroed, and a 4 s wrk run is counted:
instructions per request = the dump's total / wrk's request count. Allocations per request
come from the same dump (calls of `malloc`). The kernel's share (one `recvfrom` and one
`writev` per request for every server) is not counted.

    python3 bench/e2e/instructions.py [NAME ...]          default: routemark hyper axum
    E2E_EXTRA=name=/path/to/binary python3 bench/e2e/instructions.py routemark name

E2E_H2=1 drives the servers with h2load over h2c instead (16 connections x 32 streams, the GET
routes, as bench/e2e/h2.py; bare hyper is started with `h2`): the HTTP/2 path's instructions
per request, which a loaded machine cannot blur as it blurs req/s.

E2E_PROFILE=1 also prints each server's most expensive functions; E2E_KEEP=DIR keeps the
counted dumps (DIR/callgrind.NAME) for callgrind_annotate; E2E_CACHE=1 adds simulated
cache misses per request (see CACHE_SIM); E2E_LOCKED=1 adds locked instructions (atomic
read-modify-writes) per request (locked.py); E2E_FOOTPRINT=1 adds the KiB of code most
requests run (footprint.py); E2E_LUA=one-route.lua sends every request to
one route, as for run.py (what spreading the requests over the 203 routes costs);
E2E_LUA=not-found.lua sends only paths no route matches (the `404` a scanner gets).
E2E_CONNS=N runs wrk with N connections instead of 16 (how the data each connection keeps
weighs on the cache: see E2E_CACHE).

Builds the apps first (release, LTO, each on its own: `run.build_apps`) with
CARGO_TARGET_DIR=target/bench-e2e. Needs valgrind and wrk. Prints a Markdown table.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run import EXTRA, HERE, SERVERS, TARGET, build_apps, wait_port  # noqa: E402

# E2E_CACHE=1: callgrind also simulates the caches (its model of L1 and the last level, from
# the host's sizes) and the table gains misses per request: the working set, which a VM
# without hardware counters cannot show otherwise.
CACHE_SIM = ["--cache-sim=yes"] if os.environ.get("E2E_CACHE") else []
# E2E_LOCKED=1: the dump keeps a cost per instruction, and the table gains the locked
# instructions (atomic read-modify-writes) per request (locked.py).
LOCKED = ["--dump-instr=yes"] if os.environ.get("E2E_LOCKED") else []
# E2E_FOOTPRINT=1: the dump keeps a cost per instruction, and the table gains the KiB of code
# that most requests run (footprint.py).
FOOTPRINT = bool(os.environ.get("E2E_FOOTPRINT"))
DUMP_INSTR = ["--dump-instr=yes"] if LOCKED or FOOTPRINT else []
WARM_UP_S = 2
COUNTED_S = 4


def wrk(port, duration):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{os.environ.get('E2E_CONNS', 16)}", f"-d{duration}s",
         "-s", str(HERE / os.environ.get("E2E_LUA", "requests.lua")), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True).stdout
    # not-found.lua's requests are all answered 404 (its `response` checks each status).
    expected_non_2xx = os.environ.get("E2E_LUA") == "not-found.lua"
    if ("Non-2xx" in out and not expected_non_2xx) or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    return int(re.search(r"(\d+) requests in", out).group(1))


def control(pid, *args):
    subprocess.run(["callgrind_control", *args, str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


H2 = bool(os.environ.get("E2E_H2"))


def h2(port, duration):
    """Requests that h2load completed (every one a 2xx, else an error)."""
    from h2 import h2load, uris
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write("\n".join(uris(port)) + "\n")
        f.flush()
        _, succeeded, bad, ok = h2load(port, duration, f.name)
    if succeeded == 0 or bad or ok != succeeded:
        raise RuntimeError(f"h2load: {succeeded} succeeded, {bad} failed, {ok} 2xx")
    return succeeded


def measure(binary, port, name):
    load = h2 if H2 else wrk
    # Bare hyper serves HTTP/1.1 unless told `h2` (`h2-keepalive`: with routemark's PING).
    extra = {"hyper": ["h2"], "hyper+keepalive": ["h2-keepalive"]}.get(name, []) if H2 else []
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "callgrind.out"
        proc = subprocess.Popen(
            ["taskset", "-c", "0", "valgrind", "--tool=callgrind", "--instr-atstart=no", "-q",
             *CACHE_SIM, *DUMP_INSTR, f"--callgrind-out-file={out}.%p", str(binary),
             f"127.0.0.1:{port}",
             *extra],
            stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            control(proc.pid, "-i", "on")
            load(port, WARM_UP_S)
            control(proc.pid, "-z")
            requests = load(port, COUNTED_S)
            control(proc.pid, "-d")
            time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait()
        dumps = sorted(pathlib.Path(tmp).glob("callgrind.out.*"), key=lambda p: p.stat().st_mtime)
        # The dump written by `-d` holds exactly the counted run (the final dump at exit
        # holds what ran after it: shutdown).
        counted = [d for d in dumps if re.search(r"^desc: Trigger: dump", d.read_text(), re.M)]
        if os.environ.get("E2E_KEEP"):
            keep = pathlib.Path(os.environ["E2E_KEEP"])
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"callgrind.{name}").write_bytes(counted[-1].read_bytes())
        text = counted[-1].read_text()
        events = re.search(r"^events: (.*)$", text, re.M).group(1).split()
        summary = [int(v) for v in re.search(r"^summary: (.*)$", text, re.M).group(1).split()]
        counts = dict(zip(events, summary))
        total = counts["Ir"]
        annotated = subprocess.run(["callgrind_annotate", "--inclusive=no", str(counted[-1])],
                                   capture_output=True, text=True, check=True).stdout
        mallocs = calls_of(counted[-1], "malloc")
        misses = {event: counts[event] / requests for event in MISS_EVENTS if event in counts}
        if LOCKED:
            from locked import locked_per_request
            misses["locked"] = locked_per_request(counted[-1], requests)
        if FOOTPRINT:
            from footprint import LINE, hot_lines
            misses["hot code KiB"] = hot_lines(counted[-1], requests) * LINE / 1024
        return total / requests, mallocs / requests, requests, annotated, misses


# Instruction-fetch and data misses, first level (I1, D1 read and write) and last level.
MISS_EVENTS = ["I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw"]


def calls_of(dump, function):
    """How many times `function` was called, from the dump's call records."""
    text = dump.read_text()
    names = dict(re.findall(r"^c?fn=\((\d+)\) (.*)$", text, re.M))
    wanted = {i for i, name in names.items() if name == function}
    calls = 0
    current = None
    for line in text.splitlines():
        m = re.match(r"^cfn=\((\d+)\)", line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"^calls=(\d+)", line)
        if m and current in wanted:
            calls += int(m.group(1))
    return calls


def main():
    names = sys.argv[1:] or ["routemark", "hyper", "axum"]
    build_apps()
    binaries = {name: TARGET / "release" / binary for name, binary in SERVERS}
    binaries["hyper+keepalive"] = binaries["hyper"]
    binaries.update({name: pathlib.Path(binary) for name, binary in EXTRA})
    rows = []
    port = 19080
    for name in names:
        port += 1
        per_request, allocs, requests, annotated, misses = measure(binaries[name], port, name)
        print(f"{name}: {per_request:,.0f} instructions, {allocs:.1f} mallocs per request "
              f"({requests:,} requests)", file=sys.stderr)
        if os.environ.get("E2E_PROFILE"):
            print("\n".join(annotated.splitlines()[:40]), file=sys.stderr)
        rows.append((name, per_request, allocs, misses))
    base = dict((name, value) for name, value, _, _ in rows)
    cache = [event for event in [*MISS_EVENTS, "locked", "hot code KiB"] if event in rows[0][3]]
    print("| server | instructions per request | x hyper | mallocs per request |"
          + "".join(f" {event} |" for event in cache))
    print("|---|---:|---:|---:|" + "---:|" * len(cache))
    for name, value, allocs, misses in rows:
        ratio = f"{value / base['hyper']:.2f}" if "hyper" in base else "-"
        print(f"| {name} | {value:,.0f} | {ratio} | {allocs:.1f} |"
              + "".join(f" {misses[event]:.1f} |" for event in cache))


if __name__ == "__main__":
    main()
