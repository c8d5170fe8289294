"""Hidden checks for mfe-shared-width. Usage: python3 /checks/check.py MODE"""

import json
import os
import random
import string
import subprocess
import sys

sys.dont_write_bytecode = True

PKG = os.environ["WWA_PKG"]
NEW = int(os.environ["WWA_NEW"])
rng = random.Random()

# The agent's code runs only in this child process, never in the check's own.
PROBE = r"""
import importlib, json, sys
module, func = sys.argv[1:3]
args = json.load(sys.stdin)
fn = getattr(importlib.import_module(module), func)
print(json.dumps([fn(a) for a in args]))
"""


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def call(module, func, args):
    try:
        r = subprocess.run([sys.executable, "-c", PROBE, f"{PKG}.{module}", func], input=json.dumps(args),
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    except subprocess.TimeoutExpired:
        fail(f"calling {PKG}.{module}.{func} took more than 30 s")
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        fail(f"calling {PKG}.{module}.{func} failed:\n{r.stderr[-1500:]}")


def word(lo, hi):
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(rng.randint(lo, hi)))


def fresh_rows(n):
    """Rows of 1-5 fields; some fields fill the whole width, none is empty."""
    return [[word(1, NEW) for _ in range(rng.randint(1, 5))] for _ in range(n)]


def check_writer():
    rows = fresh_rows(100) + [[word(NEW + 1, NEW + 8), word(1, 3)] for _ in range(10)]
    got = call("writer", "format_row", rows)
    for fields, line in zip(rows, got):
        want = "".join(f[:NEW].ljust(NEW) for f in fields)
        if line != want:
            fail(f"format_row({fields}) = {line!r}, want {want!r}")


def check_reader():
    rows = fresh_rows(100)
    lines = ["".join(f.ljust(NEW) for f in fields) + rng.choice(["\n", ""]) for fields in rows]
    got = call("reader", "parse_row", lines)
    for fields, line, parsed in zip(rows, lines, got):
        if parsed != fields:
            fail(f"parse_row({line!r}) = {parsed}, want {fields}")


{"writer": check_writer, "reader": check_reader}[sys.argv[1]]()
