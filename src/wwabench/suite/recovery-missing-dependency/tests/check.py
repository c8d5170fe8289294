"""Checks for recovery-missing-dependency: run ./run.sh and recompute the report."""
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def report(path, currency, places):
    totals = {}
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            totals[r["category"]] = totals.get(r["category"], 0) + Decimal(r["amount"])
    q = Decimal(1).scaleb(-places)
    order = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [f"{c}: {Decimal(t).quantize(q)} {currency}" for c, t in order]
    lines.append(f"TOTAL: {Decimal(sum(totals.values())).quantize(q)} {currency}")
    return "\n".join(lines) + "\n"


def run(cwd, arg):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    try:
        r = subprocess.run(["./run.sh", arg], cwd=cwd, capture_output=True, text=True, timeout=20, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"./run.sh {arg}: {e}")
    return r


def fresh_csv(d):
    cats = rng.sample(["alpha", "bravo", "delta", "kilo", "lima", "oscar", "papa", "romeo", "tango"], rng.randint(3, 7))
    path = os.path.join(d, f"fresh_{rng.randint(100, 999)}.csv")
    with open(path, "w") as fh:
        fh.write("item,category,amount\n")
        for i in range(rng.randint(10, 40)):
            amt = Decimal(rng.randint(-20000, 900000)).scaleb(-rng.randint(0, 4))
            fh.write(f"x{i},{rng.choice(cats)},{amt}\n")
    return path


def copy_ws():
    d = tempfile.mkdtemp()
    ws = os.path.join(d, "ws")
    shutil.copytree(".", ws, symlinks=True)
    return ws


def expect(r, want, what):
    if r.returncode != 0 or r.stdout != want:
        fail(f"{what}: rc={r.returncode}\n--- stdout\n{r.stdout}--- stderr\n{r.stderr}--- want\n{want}")


which = sys.argv[1]
cur, places = P["currency"], int(P["precision"])
if which == "run":
    inp = f"data/{P['input']}.csv"
    expect(run(".", inp), report(inp, cur, places), f"./run.sh {inp}")
elif which == "fresh":
    ws = copy_ws()
    path = fresh_csv(ws)
    expect(run(ws, os.path.basename(path)), report(path, cur, places), "fresh CSV")
elif which == "config":
    ws = copy_ws()
    cur2 = rng.choice(["NOK", "DKK", "PLN", "CZK", "AUD"])
    places2 = rng.choice([p for p in range(5) if p != places])
    os.makedirs(os.path.join(ws, "config"), exist_ok=True)
    with open(os.path.join(ws, "config", "app.ini"), "w") as fh:
        fh.write(f"[report]\ncurrency = {cur2}\nprecision = {places2}\n")
    path = fresh_csv(ws)
    expect(run(ws, path), report(path, cur2, places2), "changed config/app.ini")
print("ok")
