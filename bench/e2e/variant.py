#!/usr/bin/env python3
"""Builds a throwaway variant of the routemark e2e app: the committed code with a patch of
`variants/` applied, to measure what one part of the request's path costs by taking it out.

The variants take out defences the framework keeps on by default, so they are never
committed as code or as cargo features a user could turn on: each is a patch, applied to a
scratch checkout of HEAD (a git worktree under target/), built there, and removed again.
Prints the binary's path, for paired.py or instructions.py:

    python3 bench/e2e/variant.py undefended
    python3 bench/e2e/paired.py undefended=$(python3 bench/e2e/variant.py undefended) hyper

Variants (VARIANTS below):

- `undefended`: no metrics (the app's `metrics-off` feature), and over HTTP/1.1 the bare
  `TcpStream` (no framing guard, no header-read, idle or write-stall timeout), no
  graceful-shutdown watch, no target-length, framing or `Host` check
  (`variants/undefended.patch`). (The app's own `bare` feature only turns off the metrics
  and the HTTP/2 PING, which the configuration can.) What is left is the dispatch itself: the live table's load, the
  lookup, the extractors and the handler's call.
- `static-table`: the route table loaded once and kept, instead of an `arc-swap` load per
  request (`variants/static-table.patch`; no reload can reach it).
- `undefended-static`: both.

The binaries go to target/bench-e2e-variants/NAME; the build to target/bench-e2e-var (about
a minute once its dependencies are built). Needs git.
"""
import os
import pathlib
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PATCHES = HERE / "variants"
# name: (patches applied in order, features of the e2e app)
VARIANTS = {
    "undefended": (["undefended.patch"], ["metrics-off"]),
    "static-table": (["static-table.patch"], []),
    "undefended-static": (["undefended.patch", "static-table.patch"], ["metrics-off"]),
}
TARGET = ROOT / "target" / "bench-e2e-var"
OUT = ROOT / "target" / "bench-e2e-variants"
# A fixed place, so that cargo keeps the build of the path dependencies between variants.
SCRATCH = ROOT / "target" / "variant-src"


def git(*args, cwd=ROOT):
    subprocess.run(["git", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def build(name):
    patches, features = VARIANTS[name]
    if SCRATCH.exists():
        git("worktree", "remove", "--force", str(SCRATCH))
    git("worktree", "add", "--detach", "--force", str(SCRATCH), "HEAD")
    try:
        for patch in patches:
            applied = subprocess.run(["git", "apply", str(PATCHES / patch)], cwd=SCRATCH,
                                     capture_output=True, text=True)
            if applied.returncode != 0:
                sys.exit(f"{patch} no longer applies to HEAD; make it again from the code as it "
                         f"is now:\n{applied.stderr}")
        command = ["cargo", "build", "--release", "--quiet", "-p", "e2e-routemark"]
        if features:
            command += ["--features", ",".join(features)]
        # Quiet unless it fails: a variant leaves code unused, and rustc says so.
        built = subprocess.run(command, cwd=SCRATCH / "bench" / "e2e", capture_output=True,
                               text=True, env=dict(os.environ, CARGO_TARGET_DIR=str(TARGET)))
        if built.returncode != 0:
            sys.exit(f"building {name} failed:\n{built.stderr}")
        OUT.mkdir(parents=True, exist_ok=True)
        binary = OUT / name
        shutil.copy2(TARGET / "release" / "e2e-routemark", binary)
        return binary
    finally:
        git("worktree", "remove", "--force", str(SCRATCH))


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in VARIANTS:
        sys.exit(f"usage: variant.py NAME, NAME one of {', '.join(VARIANTS)}")
    print(build(sys.argv[1]))


if __name__ == "__main__":
    main()
