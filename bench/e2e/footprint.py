"""Hot code per request, from a callgrind dump made with `--dump-instr=yes`: the distinct
64-byte lines of code whose instructions ran at least `THRESHOLD` times per request.

Between two requests of a connection the kernel runs its network stack on the same core
(three quarters of the request's CPU time), which leaves little of the server's code in
the L1 instruction cache: the lines a request runs are fetched again, most of them from L2.
Two servers with the same instruction count can differ in how many lines those
instructions are spread over. Used by instructions.py (`E2E_FOOTPRINT=1`).
"""
from locked import self_costs

LINE = 64
# Run by most requests: a route's own code (its shim), run by one request in 203, is not
# counted, and neither is the code of the rarer branches.
THRESHOLD = 0.5


def hot_lines(dump, requests):
    """The number of code lines (of every object) run at least THRESHOLD times a request."""
    lines = {(obj, address // LINE) for (obj, address), n in self_costs(dump).items()
             if n / requests >= THRESHOLD}
    return len(lines)
