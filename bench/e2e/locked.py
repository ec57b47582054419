"""Locked instructions per request, from a callgrind dump made with `--dump-instr=yes`.

An atomic read-modify-write (`lock add`, `lock cmpxchg`, `xchg` with memory: an `Arc`
clone or drop, a counter, a lock) counts as one instruction in callgrind but costs some
20 cycles and orders the core's memory accesses; an instruction count does not show them.
This weighs every such instruction of the dump's objects by how often it ran. Used by
instructions.py (`E2E_LOCKED=1`).
"""
import collections
import re
import subprocess

_POSITION = re.compile(r"^(0x[0-9a-fA-F]+|[+-]\d+|\*|\d+)$")


def _step(field, last):
    if field == "*":
        return last
    if field.startswith("0x"):
        return int(field, 16)
    if field[0] in "+-":
        return last + int(field)
    return int(field)


def self_costs(dump):
    """{(object, address): instructions run there}, calls' inclusive costs left out."""
    costs = collections.Counter()
    objects = {}
    current = None
    positions = 1
    last = []
    after_call = False
    with open(dump) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("positions:"):
                positions = len(line.split()[1:])
                last = [0] * positions
                continue
            m = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line)
            if m:
                kind, key, name = m.groups()
                if name:
                    objects[key] = name
                if kind == "ob":
                    current = objects[key]
                continue
            if line.startswith("calls="):
                after_call = True
                continue
            fields = line.split()
            if not fields or not _POSITION.match(fields[0]):
                continue
            for i in range(positions):
                last[i] = _step(fields[i], last[i])
            if after_call:  # the call's inclusive cost, at the call site
                after_call = False
                continue
            if len(fields) > positions:
                costs[(current, last[0])] += int(fields[positions])
    return costs


def _locked_addresses(path):
    """Addresses of the locked instructions of the object at `path`."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                         capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if not m:
            continue
        mnemonic, operands = m.group(2), m.group(3)
        if mnemonic == "lock" or (mnemonic.startswith("xchg") and "(" in operands):
            found.add(int(m.group(1), 16))
    return found


def locked_per_request(dump, requests):
    """Locked instructions run per request, over every object of the dump."""
    costs = self_costs(dump)
    total = 0
    for path in {obj for obj, _ in costs if obj and obj.startswith("/")}:
        addresses = _locked_addresses(path)
        total += sum(n for (obj, address), n in costs.items()
                     if obj == path and address in addresses)
    return total / requests
