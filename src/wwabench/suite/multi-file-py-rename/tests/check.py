"""Hidden checks for multi-file-py-rename. Usage: python3 /checks/check.py MODE"""

import importlib
import inspect
import os
import random
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.getcwd())

PKG, OLD, NEW, RATE = (os.environ["WWA_" + k] for k in ("PKG", "OLD", "NEW", "RATE"))
RATE = int(RATE)
rng = random.Random()


def price(cents, qty):
    return (cents + cents * RATE // 100) * qty


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def renamed_module():
    """The rates module, after checking that the rename happened there."""
    rates = importlib.import_module(PKG + ".rates")
    if hasattr(rates, OLD):
        fail(f"{PKG}.rates still defines {OLD}")
    if not callable(getattr(rates, NEW, None)):
        fail(f"{PKG}.rates.{NEW} missing")
    return rates


def check_api():
    rates = renamed_module()
    fn = getattr(rates, NEW)
    params = list(inspect.signature(fn).parameters)
    if params != ["qty", "cents"]:
        fail(f"signature is {params}, want ['qty', 'cents']")
    pkg = importlib.import_module(PKG)
    if getattr(pkg, NEW, None) is not fn or hasattr(pkg, OLD):
        fail(f"{PKG} does not re-export {NEW} (or still exports {OLD})")
    for _ in range(200):
        c, q = rng.randint(1, 99999), rng.randint(1, 500)
        if fn(q, c) != price(c, q) or fn(qty=q, cents=c) != price(c, q):
            fail(f"{NEW}({q}, {c}) = {fn(q, c)}, want {price(c, q)}")


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
    renamed_module()
    orders = importlib.import_module(PKG + ".orders")
    for lines in [random_lines(rng.randint(1, 8)) for _ in range(100)] + tricky_orders(20):
        want = sum(price(c, q) for c, q in lines)
        if orders.order_total(lines) != want:
            fail(f"order_total({lines}) = {orders.order_total(lines)}, want {want}")
        best = max(lines, key=lambda l: price(*l))
        got = orders.most_expensive(lines)
        if got is None or price(*got) != price(*best):
            fail(f"most_expensive({lines}) = {got}, want {best}")
    if orders.most_expensive([]) is not None:
        fail("most_expensive([]) is not None")


def expected_invoice(items):
    out = [f"{n:<10} {q:>4} x {c / 100:>8.2f} = {price(c, q) / 100:>10.2f}" for n, c, q in items]
    total = sum(price(c, q) for _, c, q in items)
    out.append(f"{'TOTAL':<10} {total / 100:>27.2f}")
    return "\n".join(out) + "\n"


def check_invoice():
    renamed_module()
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
