"""Checks for recovery-broken-build."""
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
ORDER = ["slug", "wrap", "stats", "roman", "cipher"]
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


# ---- reference implementations -------------------------------------------------
def slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def wrap(text, width):
    lines, cur = [], ""
    for w in text.split():
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        else:
            lines.append(cur)
            cur = w
    return lines + [cur] if cur else lines


def top_words(text, n):
    counts = {}
    for w in re.findall(r"[a-z']+", text.lower()):
        counts[w] = counts.get(w, 0) + 1
    return [list(kv) for kv in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def to_roman(n):
    out = ""
    for v, s in [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                 (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]:
        while n >= v:
            out += s
            n -= v
    return out


def caesar(text, shift):
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr((ord(ch) - 97 + shift) % 26 + 97))
        elif "A" <= ch <= "Z":
            out.append(chr((ord(ch) - 65 + shift) % 26 + 65))
        else:
            out.append(ch)
    return "".join(out)


# ---- fresh inputs --------------------------------------------------------------
def rstr(alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def cases(mod):
    if mod == "slug":
        al = "abcXYZ019 -_,.!?'"
        c = [[rstr(al, 0, 30)] for _ in range(200)]
        c += [[f"{rstr(' !-', 1, 4)}{rstr('AbC', 1, 5)}{rstr(' ,.-', 2, 4)}{rstr('xY9', 1, 5)}{rstr(' !-?', 1, 4)}"]
              for _ in range(20)]
        return "slugify", c, lambda a: slugify(*a)
    if mod == "wrap":
        c = []
        for _ in range(200):
            c.append([" ".join(rstr("abcdefgh", 1, 9) for _ in range(rng.randint(0, 15))), rng.randint(4, 20)])
        for _ in range(20):
            w = rng.randint(6, 20)
            a = rng.randint(1, w - 2)
            c.append([f"{'a' * a} {'b' * (w - a - 1)} {rstr('cd', 1, 4)}", w])
        return "wrap", c, lambda a: wrap(*a)
    if mod == "stats":
        vocab = ["red", "Red", "RED", "blue", "green", "it's", "sky", "Sky", "tea", "zoo", "ant"]
        c = [[" ".join(rng.choice(vocab) + rng.choice(["", ",", ".", "!"]) for _ in range(rng.randint(0, 25))),
              rng.randint(1, 6)] for _ in range(200)]
        return "top_words", c, lambda a: top_words(*a)
    if mod == "roman":
        c = [[rng.randint(1, 3999)] for _ in range(300)]
        c += [[rng.randint(0, 3) * 1000 + 400 + rng.randint(0, 9) * 10 + rng.randint(0, 9)] for _ in range(10)]
        c += [[rng.randint(0, 3) * 1000 + rng.randint(0, 9) * 100 + 90 + rng.randint(0, 9)] for _ in range(10)]
        c = [x for x in c if x[0] >= 1]
        return "to_roman", c, lambda a: to_roman(*a)
    if mod == "cipher":
        c = [[rstr("abcxyzABCXYZ !,.-09", 0, 30), rng.randint(-60, 60)] for _ in range(200)]
        return "caesar", c, lambda a: caesar(*a)
    raise ValueError(mod)


RUNNER = r"""
import importlib, json, sys, traceback
mod, func, cases = json.loads(sys.stdin.read())
try:
    f = getattr(importlib.import_module("textkit." + mod), func)
except BaseException:
    print(json.dumps({"error": traceback.format_exc(limit=2)})); sys.exit(0)
out = []
for args in cases:
    try:
        r = f(*args)
        out.append(list(map(list, r)) if func == "top_words" else r)
    except BaseException as e:
        out.append("EXCEPTION " + repr(e))
print(json.dumps({"results": out}))
"""


def check_module(mod):
    func, c, ref = cases(mod)
    src = os.path.join(tempfile.mkdtemp(), "src")  # a copy without stale bytecode
    shutil.copytree(os.getcwd(), src, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=src)
    try:
        r = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps([mod, func, c]),
                           capture_output=True, text=True, timeout=20, env=env, cwd=tempfile.mkdtemp())
        res = json.loads(r.stdout)
    except Exception as e:  # noqa: BLE001
        fail(f"running textkit.{mod}.{func} failed: {e} {getattr(r, 'stderr', '')[-500:]}")
    if "error" in res:
        fail(f"importing textkit.{mod} failed:\n{res['error']}")
    for args, got in zip(c, res["results"]):
        want = ref(args)
        if got != want:
            fail(f"textkit.{mod}.{func}{tuple(args)!r} returned {got!r}, expected {want!r}")
    if len(res["results"]) != len(c):
        fail("wrong number of results")


def check_build():
    here = os.getcwd()
    with open("/checks/orig.sha256") as fh:
        for line in fh:
            digest, path = line.split()
            try:
                with open(os.path.join(here, path), "rb") as f:
                    got = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                fail(f"{path} is missing")
            if got != digest:
                fail(f"{path} was modified")
    d = os.path.join(tempfile.mkdtemp(), "ws")
    shutil.copytree(here, d, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(os.path.join(d, "dist"), ignore_errors=True)
    try:
        r = subprocess.run(["./build.sh"], cwd=d, capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"./build.sh: {e}")
    if r.returncode != 0:
        fail(f"./build.sh exited {r.returncode}:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
    if not os.path.isfile(os.path.join(d, "dist", f"textkit-{P['version']}.tar.gz")):
        fail("dist/textkit-VERSION.tar.gz not built")


v = P["variant"]
which = sys.argv[1]
if which == "build":
    check_build()
elif which == "first":
    check_module(ORDER[int(v[1])])
elif which == "second":
    check_module(ORDER[int(v[2])])
print("ok")
