"""Hidden checks for multi-file-py-rename. Usage: python3 /checks/check.py MODE"""

import json
import os
import random
import re
import subprocess
import sys

sys.dont_write_bytecode = True

PKG, OLD, NEW, RATE = (os.environ["WWA_" + k] for k in ("PKG", "OLD", "NEW", "RATE"))
RATE = int(RATE)
rng = random.Random()

# The agent's code runs only in this child process, never in the check's own: code run
# in the check's process could end it with exit status 0 and pass every check.
PROBE = r"""
import importlib, inspect, json, sys
pkg_name, old, new = sys.argv[1:4]
req = json.load(sys.stdin)
rates = importlib.import_module(pkg_name + ".rates")
fn = getattr(rates, new, None)
out = {"rates_has_old": hasattr(rates, old), "callable_new": callable(fn)}
if callable(fn):
    pkg = importlib.import_module(pkg_name)
    out["params"] = list(inspect.signature(fn).parameters)
    out["reexport"] = getattr(pkg, new, None) is fn and not hasattr(pkg, old)
    out["positional"] = [fn(q, c) for c, q in req["pairs"]]
    out["keyword"] = [fn(qty=q, cents=c) for c, q in req["pairs"]]
    if req["orders"]:
        orders = importlib.import_module(pkg_name + ".orders")
        lines = [[tuple(line) for line in order] for order in req["orders"]]
        out["totals"] = [orders.order_total(order) for order in lines]
        out["best"] = [orders.most_expensive(order) for order in lines]
        out["best_empty"] = orders.most_expensive([])
print(json.dumps(out))
"""


def probe(pairs, orders):
    """What the agent's package answers, asked in a process of its own."""
    request = json.dumps({"pairs": pairs, "orders": orders})
    try:
        r = subprocess.run([sys.executable, "-c", PROBE, PKG, OLD, NEW], input=request,
                           capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        fail(f"importing and calling {PKG} took more than 30 s")
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        fail(f"importing or calling {PKG} failed:\n{r.stderr[-1500:]}")


def price(cents, qty):
    return (cents + cents * RATE // 100) * qty


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def renamed(pairs, orders=()):
    """The package's answers, after checking that the rename happened in rates.py."""
    got = probe(pairs, list(orders))
    if got["rates_has_old"]:
        fail(f"{PKG}.rates still defines {OLD}")
    if not got["callable_new"]:
        fail(f"{PKG}.rates.{NEW} missing")
    for (c, q), pos, kw in zip(pairs, got["positional"], got["keyword"]):
        if pos != price(c, q) or kw != price(c, q):
            fail(f"{NEW}({q}, {c}) = {pos}, want {price(c, q)}")
    return got


def check_api():
    got = renamed([[rng.randint(1, 99999), rng.randint(1, 500)] for _ in range(200)])
    if got["params"] != ["qty", "cents"]:
        fail(f"signature is {got['params']}, want ['qty', 'cents']")
    if not got["reexport"]:
        fail(f"{PKG} does not re-export {NEW} (or still exports {OLD})")


def random_lines(n):
    return [(rng.randint(50, 5000), rng.randint(1, 60)) for _ in range(n)]


def tricky_orders(count):
    """Orders whose most expensive line changes if cents and qty are swapped."""
    found = []
    for _ in range(200000):
        lines = [(rng.randint(1, 400), rng.randint(1, 400)) for _ in range(2)]
        right = max(lines, key=lambda l: price(*l))
        wrong = max(lines, key=lambda l: price(l[1], l[0]))
        if price(*right) != price(*wrong):
            found.append(lines)
            if len(found) == count:
                break
    return found


def check_orders():
    orders = [random_lines(rng.randint(1, 8)) for _ in range(100)] + tricky_orders(20)
    got = renamed([[1, 1]], orders)
    for lines, total, best in zip(orders, got["totals"], got["best"]):
        want = sum(price(c, q) for c, q in lines)
        if total != want:
            fail(f"order_total({lines}) = {total}, want {want}")
        right = max(lines, key=lambda l: price(*l))
        if best is None or len(best) != 2 or price(*best) != price(*right):
            fail(f"most_expensive({lines}) = {best}, want {right}")
    if got["best_empty"] is not None:
        fail("most_expensive([]) is not None")


def expected_invoice(items):
    out = [f"{n:<10} {q:>4} x {c / 100:>8.2f} = {price(c, q) / 100:>10.2f}" for n, c, q in items]
    total = sum(price(c, q) for _, c, q in items)
    out.append(f"{'TOTAL':<10} {total / 100:>27.2f}")
    return "\n".join(out) + "\n"


def check_invoice():
    renamed([[1, 1]])
    for _ in range(3):
        items = [("".join(rng.choice("abcdefgh") for _ in range(rng.randint(3, 8))), c, q)
                 for c, q in random_lines(rng.randint(1, 5))]
        args = [f"{n}:{c}:{q}" for n, c, q in items]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        r = subprocess.run([sys.executable, "-m", PKG, *args], capture_output=True, text=True, env=env, timeout=20)
        if r.returncode != 0 or r.stdout != expected_invoice(items):
            fail(f"python3 -m {PKG} {' '.join(args)} printed:\n{r.stdout}{r.stderr}\nwant:\n{expected_invoice(items)}")


def check_names():
    word = re.compile(r"\b" + re.escape(OLD) + r"\b")
    found_new = False
    for root, dirs, files in os.walk("."):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            if f.endswith(".py"):
                text = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
                if word.search(text):
                    fail(f"{os.path.join(root, f)} still mentions {OLD}")
    test_file = f"test_{PKG}.py"
    if not os.path.exists(test_file) or not re.search(r"\b" + NEW + r"\b", open(test_file).read()):
        fail(f"{test_file} does not use {NEW}")
    r = subprocess.run([sys.executable, "-m", "unittest", "-q", f"test_{PKG}"], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"), timeout=20)
    if r.returncode != 0:
        fail("unit tests fail:\n" + r.stderr[-1500:])


{"api": check_api, "orders": check_orders, "invoice": check_invoice, "names": check_names}[sys.argv[1]]()
