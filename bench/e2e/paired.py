#!/usr/bin/env python3
"""Server CPU per HTTP/1.1 request of two servers measured at the same time: a ratio that the
machine's drift does not blur.

run.py measures one server after another, and this shared VM moves by ±20 % between two
10 s runs, which hides a difference of a few per cent between two servers even over tens of
runs. Here both servers run at once, pinned together to core 0, each driven by its own
`wrk -t1 -c32` on core 1 (requests.lua: the 203 routes with their methods). Whatever the
machine does during the window, it does to both. Per round and server: CPU time (utime +
stime from /proc/PID/stat, all threads) over the window ÷ the requests wrk completed.

The two wrk share core 1 and are the limit: each server gets about the same request rate,
and the two keep core 0 95–97 % busy between them (printed per round), not 100 %. As in
run.py, the cheaper server idles a little more, and its idle moments (`epoll_wait`
sleeping and waking) cost it CPU per request, so a ratio is if anything compressed.
req/s are not compared, only CPU per request.

Each round starts fresh servers after a 2 s warm-up of both, and swaps which one is started
first and gets the first port. Prints each round, then the median of the rounds' own ratios
A ÷ B with their range, for the total, user and system time.

    python3 bench/e2e/paired.py [A B [ROUNDS [DURATION_S]]]     default: routemark hyper 8 8

A and B are app names of run.py (routemark, axum, actix-web, hyper) or NAME=/path/to/binary
(a throwaway build, say). Builds the apps first, as run.py does.
"""
import pathlib
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run  # noqa: E402

CONNECTIONS = 32
PORTS = (19601, 19602)


def server(arg):
    """(name, binary) of an app name or of NAME=/path/to/binary."""
    if "=" in arg:
        name, binary = arg.split("=", 1)
        return name, pathlib.Path(binary)
    binaries = dict(run.SERVERS)
    if arg not in binaries:
        sys.exit(f"unknown server {arg!r}: one of {', '.join(binaries)} or NAME=/path/to/binary")
    return arg, run.TARGET / "release" / binaries[arg]


def wrk(port, duration):
    return subprocess.Popen(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "-s",
         str(run.LUA), f"http://127.0.0.1:{port}"],
        stdout=subprocess.PIPE, text=True)


def completed(out):
    """wrk's request count, after checking it saw no failure."""
    if re.search(r"Non-2xx or 3xx responses|Socket errors", out):
        raise RuntimeError(f"wrk saw failures:\n{out}")
    return int(re.search(r"(\d+) requests in", out).group(1))


def one_round(pair, duration, first):
    procs = []
    try:
        for (name, binary), port in zip(pair, PORTS):
            procs.append(subprocess.Popen(["taskset", "-c", "0", str(binary), f"127.0.0.1:{port}"],
                                          stderr=subprocess.DEVNULL))
        for (name, _), port in zip(pair, PORTS):
            run.wait_port(port)
            if first:
                print(f"{name}: headers {run.check(port)}", file=sys.stderr)
        for warm in [wrk(port, 2) for port in PORTS]:
            completed(warm.communicate()[0])
        before, started = [run.user_system_seconds(p.pid) for p in procs], time.monotonic()
        loads = [wrk(port, duration) for port in PORTS]
        outs = [load.communicate()[0] for load in loads]
        after, window = [run.user_system_seconds(p.pid) for p in procs], time.monotonic() - started
    finally:
        for p in procs:
            p.terminate()
            p.wait()
    # How busy the two servers kept core 0 between them: not quite 100 %, since the two wrk
    # on core 1 are the limit (see the module's documentation).
    result = {"busy": sum(u1 - u0 + s1 - s0 for (u0, s0), (u1, s1) in zip(before, after)) / window}
    for (name, _), out, (u0, s0), (u1, s1) in zip(pair, outs, before, after):
        n = completed(out)
        result[name] = {"requests": n, "cpu_us": (u1 - u0 + s1 - s0) / n * 1e6,
                        "user_us": (u1 - u0) / n * 1e6, "system_us": (s1 - s0) / n * 1e6}
    return result


def main():
    args = sys.argv[1:]
    a, b = server(args[0] if args else "routemark"), server(args[1] if len(args) > 1 else "hyper")
    if a[0] == b[0]:
        sys.exit("the two servers need different names")
    rounds = int(args[2]) if len(args) > 2 else 8
    duration = int(args[3]) if len(args) > 3 else 8
    run.build_apps()
    ratios = {key: [] for key in ("cpu_us", "user_us", "system_us")}
    for r in range(rounds):
        # Swapped each round: which server starts first and takes the first port.
        result = one_round([a, b] if r % 2 == 0 else [b, a], duration, r == 0)
        ra, rb = result[a[0]], result[b[0]]
        for key in ratios:
            ratios[key].append(ra[key] / rb[key])
        print(f"round {r + 1}/{rounds}: {a[0]} {ra['cpu_us']:.3f} us/req ({ra['requests']:,} requests), "
              f"{b[0]} {rb['cpu_us']:.3f} us/req ({rb['requests']:,}): {ratios['cpu_us'][-1]:.3f}; "
              f"core 0 {result['busy']:.0%} busy",
              file=sys.stderr)
    print(f"| {a[0]} ÷ {b[0]}, {rounds} rounds of {duration} s | CPU per request | user time | system time |")
    print("|---|---:|---:|---:|")
    print(f"| median (range) of the rounds' ratios | {run.spread(ratios['cpu_us'])} "
          f"| {run.spread(ratios['user_us'])} | {run.spread(ratios['system_us'])} |")


if __name__ == "__main__":
    main()
