#!/usr/bin/env python3
"""HTTP/1.1 memory attacks on the end-to-end apps (../e2e: the same 203 GitHub routes in
routemark, axum and bare hyper), each server's resident memory (VmRSS of its process) before
and at its peak, for docs/hardening.md. Python 3, standard library only.

    python3 bench/memory/attack.py [NAME=BINARY ...]

Without arguments: routemark, axum and hyper from $CARGO_TARGET_DIR/release (default
target/bench-e2e, as ../e2e/run.py), built first (release, LTO). Each attack gets a fresh
server process (`BINARY 127.0.0.1:PORT`, one thread: the apps run tokio's current-thread
runtime). The apps answer every route with the 13 bytes `Hello, world!`; none has a large
answer, so the "answers not read" attack makes them large by number instead (below).

Attacks, each client socket with a 4 KiB receive buffer (SO_RCVBUF, set before connecting):
- pipelining: issue 18's client: one connection sends `GET /users/v0/events` 1,000 per
  send for 6 s and never reads;
- answers not read: 8 connections each send 10,000 pipelined GETs in one go (about 1.4 MB
  of answers each) and never read, for 3 s;
- idle keep-alive: 500 connections, each answered once and then idle for 2 s.

During each attack a fresh client (`GET` on a new connection, 2 s timeout) is timed every
250 ms, and once after. Prints a Markdown table.
"""
import os
import pathlib
import select
import socket
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
E2E = ROOT / "bench" / "e2e"
sys.path.insert(0, str(E2E))
from run import TARGET, wait_port  # noqa: E402  (the e2e apps' target dir and port wait)
SERVERS = [("routemark", "e2e-routemark"), ("axum", "e2e-axum"), ("hyper", "e2e-hyper")]
REQUEST = b"GET /users/v0/events HTTP/1.1\r\nHost: x\r\n\r\n"
ANSWER_BODY = b"Hello, world!"


def rss(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Peak(threading.Thread):
    """The highest VmRSS of `pid`, sampled every 10 ms until `stop`."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.max, self.done = pid, rss(pid), threading.Event()
        self.start()

    def run(self):
        while not self.done.is_set():
            self.max = max(self.max, rss(self.pid))
            time.sleep(0.01)

    def stop(self):
        self.done.set()
        self.join()
        return max(self.max, rss(self.pid))


def connect(port, rcvbuf=4096):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.connect(("127.0.0.1", port))
    return sock


def read_answer(sock):
    """One answer with a content-length body; returns (status line, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError(f"closed in a head: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(l.split(b":", 1)[1]) for l in head.split(b"\r\n")[1:]
                  if l.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("closed in a body")
        body += chunk
    assert len(body) == length, "more bytes than one answer"
    return head.split(b"\r\n", 1)[0], body


def fresh_client(port):
    """Seconds a new connection's GET takes to be answered (None: not within 2 s, or wrong)."""
    start = time.monotonic()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        sock.sendall(REQUEST)
        status, body = read_answer(sock)
        sock.close()
    except OSError:
        return None
    if status != b"HTTP/1.1 200 OK" or body != ANSWER_BODY:
        return None
    return time.monotonic() - start


class Prober(threading.Thread):
    """A fresh client every 250 ms until `stop`: how many were answered, the slowest."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.done, self.times = port, threading.Event(), []
        self.start()

    def run(self):
        while not self.done.is_set():
            self.times.append(fresh_client(self.port))
            time.sleep(0.25)

    def stop(self):
        self.done.set()
        self.join()
        return self.times


def send_until(sock, pattern, deadline, limit=None):
    """Sends the endless repetition of `pattern` (at most `limit` bytes) until `deadline`;
    returns the bytes sent."""
    sock.setblocking(False)
    sent = 0
    while (left := deadline - time.monotonic()) > 0 and (limit is None or sent < limit):
        _, writable, _ = select.select([], [sock], [], left)
        if not writable:
            break
        at = sent % len(pattern)
        try:
            end = len(pattern) if limit is None else min(len(pattern), at + limit - sent)
            sent += sock.send(pattern[at:end])
        except BlockingIOError:
            pass
    return sent


def pipelining(port):
    sock = connect(port)
    batch = REQUEST * 1000
    sent = send_until(sock, batch, time.monotonic() + 6)
    return [sock], 1, f"{sent // len(REQUEST):,} requests taken"


def answers_not_read(port):
    socks, taken = [], 0
    burst = REQUEST * 10_000
    deadline = time.monotonic() + 3
    for _ in range(8):
        sock = connect(port)
        taken += send_until(sock, burst, deadline, limit=len(burst))
        socks.append(sock)
    time.sleep(max(0.0, deadline - time.monotonic()))
    return socks, 8, f"{taken // len(REQUEST):,} of 80,000 requests taken"


def idle_keep_alive(port):
    socks = []
    for _ in range(500):
        sock = connect(port, rcvbuf=0)
        sock.sendall(REQUEST)
        status, body = read_answer(sock)
        assert status == b"HTTP/1.1 200 OK" and body == ANSWER_BODY, (status, body)
        socks.append(sock)
    time.sleep(2)
    return socks, 500, "500 connections"


ATTACKS = [("pipelining, never read (1 conn, 6 s)", pipelining),
           ("answers not read (8 conns, 3 s)", answers_not_read),
           ("idle keep-alive (500 conns)", idle_keep_alive)]


def one(binary, port, attack):
    proc = subprocess.Popen([str(binary), f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        for _ in range(3):
            assert fresh_client(port) is not None, "the server does not answer"
        time.sleep(0.2)
        before = rss(proc.pid)
        peak = Peak(proc.pid)
        prober = Prober(port)
        socks, connections, what = attack(port)
        during = prober.stop()
        after = fresh_client(port)
        top = peak.stop()
        for sock in socks:
            sock.close()
    finally:
        proc.terminate()
        proc.wait()
    answered = [t for t in during if t is not None]
    return {"before": before, "peak": top, "connections": connections, "what": what,
            "fresh": f"{len(answered)}/{len(during)} answered, slowest "
                     f"{max(answered) * 1e3:.0f} ms" if answered else f"0/{len(during)} answered",
            "after": "no answer" if after is None else f"{after * 1e3:.0f} ms"}


def main():
    if len(sys.argv) > 1:
        servers = [tuple(arg.split("=", 1)) for arg in sys.argv[1:]]
    else:
        env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
        cmd = ["cargo", "build", "--release", "--quiet"]
        for _, package in SERVERS:
            cmd += ["-p", package]
        subprocess.run(cmd, cwd=E2E, env=env, check=True)
        servers = [(name, TARGET / "release" / binary) for name, binary in SERVERS]
    port = 19080
    print(f"{time.strftime('%Y-%m-%d')}, {os.uname().sysname} {os.uname().release}, "
          f"{os.cpu_count()} cores")
    print("| attack | server | RSS before | RSS peak | growth | per connection "
          "| fresh client during | after |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for label, attack in ATTACKS:
        for name, binary in servers:
            port += 1
            r = one(binary, port, attack)
            growth = r["peak"] - r["before"]
            print(f"| {label}: {r['what']} | {name} | {r['before'] / 2**20:.1f} MiB "
                  f"| {r['peak'] / 2**20:.1f} MiB | {growth / 2**20:+.1f} MiB "
                  f"| {growth / r['connections'] / 1024:,.0f} KiB | {r['fresh']} | {r['after']} |",
                  flush=True)


if __name__ == "__main__":
    main()
