"""Hidden checks for mfe-fix-typo-name. Usage: python3 /checks/check.py MODE"""

import json
import os
import random
import re
import subprocess
import sys

sys.dont_write_bytecode = True

PKG, GOOD, BAD = (os.environ["WWA_" + k] for k in ("PKG", "GOOD", "BAD"))
rng = random.Random()


def middle(values):
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


REFERENCE = {
    "value_range": ("range", lambda v: max(v) - min(v)),
    "largest_gap": ("gap", lambda v: max((b - a for a, b in zip(sorted(v), sorted(v)[1:])), default=0)),
    "count_above_mean": ("above", lambda v: sum(1 for x in v if x * len(v) > sum(v))),
    "sum_of_squares": ("squares", lambda v: sum(x * x for x in v)),
    "middle_value": ("middle", middle),
    "distinct_count": ("distinct", lambda v: len(set(v))),
}
LABEL, REF = REFERENCE[GOOD]

# The agent's code runs only in this child process, never in the check's own.
PROBE = r"""
import importlib, json, sys
pkg, good, bad = sys.argv[1:4]
lists = json.load(sys.stdin)
stats = importlib.import_module(pkg + ".stats")
fn = getattr(stats, good, None)
out = {"has_bad": hasattr(stats, bad), "callable": callable(fn)}
if callable(fn):
    out["results"] = [fn(list(v)) for v in lists]
print(json.dumps(out))
"""


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def fresh_lists(n):
    return [[rng.randint(-50, 400) for _ in range(rng.randint(1, 12))] for _ in range(n)]


def env():
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def check_api():
    lists = fresh_lists(100)
    try:
        r = subprocess.run([sys.executable, "-c", PROBE, PKG, GOOD, BAD], input=json.dumps(lists),
                           capture_output=True, text=True, timeout=30, env=env())
    except subprocess.TimeoutExpired:
        fail(f"importing {PKG}.stats took more than 30 s")
    try:
        got = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        fail(f"importing {PKG}.stats failed:\n{r.stderr[-1500:]}")
    if got["has_bad"]:
        fail(f"{PKG}.stats still defines {BAD}")
    if not got["callable"]:
        fail(f"{PKG}.stats.{GOOD} is missing")
    for values, result in zip(lists, got["results"]):
        if result != REF(values):
            fail(f"{GOOD}({values}) = {result}, want {REF(values)}")


def expected_report(values):
    return (f"count: {len(values)}\ntotal: {sum(values)}\naverage: {round(sum(values) / len(values), 2):.2f}\n"
            f"{LABEL}: {REF(values)}\n")


def check_report():
    word = re.compile(r"\b" + re.escape(BAD) + r"\b")
    for root, dirs, files in os.walk("."):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(root, f)
                if word.search(open(path, encoding="utf-8", errors="replace").read()):
                    fail(f"{path} still mentions {BAD}")
    for values in fresh_lists(4):
        args = [str(v) for v in values]
        try:
            r = subprocess.run([sys.executable, "-m", PKG, *args], capture_output=True, text=True,
                               timeout=20, env=env())
        except subprocess.TimeoutExpired:
            fail(f"python3 -m {PKG} took more than 20 s")
        if r.returncode != 0 or r.stdout != expected_report(values):
            fail(f"python3 -m {PKG} {' '.join(args)} printed:\n{r.stdout}{r.stderr[-1000:]}\n"
                 f"want:\n{expected_report(values)}")


{"api": check_api, "report": check_report}[sys.argv[1]]()
