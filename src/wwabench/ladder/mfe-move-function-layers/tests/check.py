"""Hidden checks for mfe-move-function-layers. Usage: python3 /checks/check.py MODE"""

import ast
import json
import os
import random
import re
import subprocess
import sys

sys.dont_write_bytecode = True

PKG, SRC, DST, FN, USER, SEPNAME = (os.environ["WWA_" + k] for k in ("PKG", "SRC", "DST", "FN", "USER", "SEPNAME"))
SEP = {"semicolon": ";", "pipe": "|", "colon": ":"}[SEPNAME]
LAYERS = {SRC: 0, DST: 1, "report": 2, "__main__": 3, "__init__": 4}
ALL = [FN, USER, "merge", "total_value", "with_price", "bad_lines", "report"]
TEST_COUNT = 8
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def env():
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def run(args, timeout=30, **kw):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env(), **kw)
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(args[:3])} took more than {timeout} s")


# ---- static view of the package (parsed, never run) ----

def parse(module):
    path = os.path.join(PKG, module + ".py")
    try:
        with open(path, encoding="utf-8") as f:
            return ast.parse(f.read(), path)
    except FileNotFoundError:
        fail(f"{path} is missing")
    except SyntaxError as e:
        fail(f"{path} does not parse: {e}")


def top_level_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def defines(tree, name):
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in ast.walk(tree))


def moved():
    """Gate of every check: the function was moved at all."""
    if FN in top_level_names(parse(SRC)):
        fail(f"{PKG}/{SRC}.py still defines or imports {FN}")
    if not defines(parse(DST), FN):
        fail(f"{PKG}/{DST}.py does not define {FN}")
    for name in os.listdir(PKG):
        if name.endswith(".py") and name[:-3] != DST and defines(parse(name[:-3]), FN):
            fail(f"{PKG}/{name} defines {FN} too")


# ---- the agent's code, in child processes only ----

PROBE = r"""
import importlib, json, sys
pkg, src, dst, fn, user, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
req = json.load(sys.stdin)
package = importlib.import_module(pkg)
s = importlib.import_module(pkg + "." + src)
d = importlib.import_module(pkg + "." + dst)
f = getattr(d, fn, None)
out = {"src_has": hasattr(s, fn), "dst_has": callable(f), "missing": [n for n in names if not hasattr(package, n)]}
if callable(f) and not out["missing"]:
    out["module"] = f.__module__
    out["same"] = getattr(package, fn) is f
    out["good"] = [list(f(line)) for line in req["good"]]
    bad = []
    for line in req["bad"]:
        try:
            f(line)
            bad.append("no error")
        except ValueError:
            bad.append("ValueError")
        except Exception as e:
            bad.append(type(e).__name__)
    out["bad"] = bad
    out["text"] = [list(r) for r in getattr(package, user)(req["text"])]
    out["report"] = package.report(req["text"])
    out["bad_lines"] = package.bad_lines(req["mixed"])
print(json.dumps(out))
"""


def cents_text(cents):
    return rng.choice([f"{cents // 100}.{cents % 100:02d}"] + ([f"{cents // 100}"] if cents % 100 == 0 else [])
                      + ([f"{cents // 100}.{cents % 100 // 10}"] if cents % 10 == 0 else []))


def fresh_record():
    code = "".join(rng.choice("abcdefghXYZQ") for _ in range(rng.randint(1, 4))) + str(rng.randint(0, 999))
    qty, cents = rng.randint(1, 500), rng.choice([rng.randint(0, 99999), rng.randint(1, 500) * 100, rng.randint(1, 99) * 10])
    pad = lambda: rng.choice(["", "", " ", "  "])
    line = SEP.join(pad() + x + pad() for x in (code, str(qty), cents_text(cents)))
    return line, [code.upper(), qty, cents]


def bad_record():
    code = rng.choice(["ab1", "QQ7", "x"])
    return rng.choice([
        code,
        f"{code}{SEP}{rng.randint(1, 9)}",
        f"{code}{SEP}many{SEP}1.00",
        f"{code}{SEP}{rng.randint(1, 9)}{SEP}1.234",
        f"{code}{SEP}{rng.randint(1, 9)}{SEP}{rng.randint(1, 9)}{SEP}1.00",
        f"{code}{SEP}{rng.randint(1, 9)}{SEP}abc",
    ])


def fresh_text(n):
    lines, records = [], []
    for _ in range(n):
        if rng.random() < 0.2:
            lines.append(rng.choice(["", "   ", "# note", "  # indented comment"]))
        line, rec = fresh_record()
        lines.append(line)
        records.append(rec)
    return "\n".join(lines) + "\n", records


def money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def expected_report(records):
    merged = {}
    for code, qty, cents in records:
        q, c = merged.get(code, (0, 0))
        merged[code] = (q + qty, max(c, cents)) if code in merged else (qty, cents)
    out = [f"{code:<10}{q:>6} x {money(c):>9} = {money(q * c):>11}" for code, (q, c) in sorted(merged.items())]
    out.append(f"{'TOTAL':<10}{money(sum(q * c for q, c in merged.values())):>32}")
    return "\n".join(out)


def mixed_text():
    lines, bad = [], []
    for number in range(1, rng.randint(8, 20)):
        kind = rng.random()
        if kind < 0.25:
            lines.append(bad_record())
            bad.append(number)
        elif kind < 0.35:
            lines.append(rng.choice(["", "# c"]))
        else:
            lines.append(fresh_record()[0])
    return "\n".join(lines) + "\n", bad


def check_api():
    moved()
    good = [fresh_record() for _ in range(150)]
    bad = [bad_record() for _ in range(30)]
    text, records = fresh_text(rng.randint(10, 30))
    mixed, bad_numbers = mixed_text()
    req = {"good": [g[0] for g in good], "bad": bad, "text": text, "mixed": mixed}
    r = run([sys.executable, "-c", PROBE, PKG, SRC, DST, FN, USER, *ALL], input=json.dumps(req))
    try:
        got = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        fail(f"importing or calling {PKG} failed:\n{r.stderr[-1500:]}")
    if got["src_has"]:
        fail(f"{PKG}.{SRC}.{FN} still exists")
    if not got["dst_has"]:
        fail(f"{PKG}.{DST}.{FN} is missing")
    if got["missing"]:
        fail(f"{PKG} lacks {got['missing']}")
    if got["module"] != f"{PKG}.{DST}" or not got["same"]:
        fail(f"{PKG}.{FN} is not the function defined in {PKG}.{DST}")
    for (line, want), res in zip(good, got["good"]):
        if res != want:
            fail(f"{FN}({line!r}) = {res}, want {want}")
    for line, res in zip(bad, got["bad"]):
        if res != "ValueError":
            fail(f"{FN}({line!r}) gave {res}, want ValueError")
    if got["text"] != records:
        fail(f"{USER} of a fresh text returned {got['text']}, want {records}")
    if got["report"] != expected_report([tuple(r) for r in records]):
        fail(f"report of a fresh text is\n{got['report']}\nwant\n{expected_report(records)}")
    if got["bad_lines"] != bad_numbers:
        fail(f"bad_lines of a fresh text = {got['bad_lines']}, want {bad_numbers}")


def package_imports(module, tree):
    """The package modules that `module` imports ("__init__" for names taken from the package itself)."""
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level > 1:
                fail(f"{PKG}/{module}.py imports from outside the package with {'.' * node.level}")
            if node.level == 1:
                base = node.module
            elif node.module and (node.module == PKG or node.module.startswith(PKG + ".")):
                base = node.module[len(PKG) + 1:] or None
            else:
                continue
            if base is None:  # from . import x: the submodule x, or a name of __init__
                targets.update(a.name if a.name in LAYERS else "__init__" for a in node.names)
            else:
                targets.add(base.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PKG:
                    targets.add("__init__")
                elif alias.name.startswith(PKG + "."):
                    targets.add(alias.name.split(".")[1])
    targets.discard(module)
    return targets


def check_layers():
    moved()
    modules = sorted(name[:-3] for name in os.listdir(PKG) if name.endswith(".py"))
    extra = [m for m in modules if m not in LAYERS]
    if extra:
        fail(f"{PKG} has modules not in the README's layers: {extra}")
    for module in modules:
        tree = parse(module)
        with open(os.path.join(PKG, module + ".py"), encoding="utf-8") as f:
            source = f.read()
        if "importlib" in source or "__import__" in source:
            fail(f"{PKG}/{module}.py uses importlib or __import__")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(node)):
                    fail(f"{PKG}/{module}.py imports inside {getattr(node, 'name', 'a lambda')}")
        for target in package_imports(module, tree):
            if target not in LAYERS:
                fail(f"{PKG}/{module}.py imports {target}, which is not a module of the package")
            if target == "__init__" and module != "__init__":
                fail(f"{PKG}/{module}.py imports the package's __init__")
            if LAYERS[target] >= LAYERS[module]:
                fail(f"{PKG}/{module}.py (layer {LAYERS[module]}) imports {target} (layer {LAYERS[target]})")
    for module in [SRC, DST, "report", None]:
        name = PKG if module is None else f"{PKG}.{module}"
        r = run([sys.executable, "-c", f"import {name}"])
        if r.returncode != 0:
            fail(f"import {name} fails on its own:\n{r.stderr[-1200:]}")


def check_cli():
    moved()
    for i in range(3):
        text, records = fresh_text(rng.randint(3, 25))
        path = f".check-stock{i}.txt"
        with open(path, "w") as f:
            f.write(text)
        r = run([sys.executable, "-m", PKG, path])
        want = expected_report(records) + "\n"
        if r.returncode != 0 or r.stdout != want:
            fail(f"python3 -m {PKG} on a fresh stock file printed:\n{r.stdout}{r.stderr[-1000:]}\nwant:\n{want}")
    text, bad = mixed_text()
    while not bad:
        text, bad = mixed_text()
    with open(".check-bad.txt", "w") as f:
        f.write(text)
    r = run([sys.executable, "-m", PKG, ".check-bad.txt"])
    want = "".join(f"line {n}: bad record\n" for n in bad)
    if r.returncode != 1 or r.stdout != "" or r.stderr != want:
        fail(f"python3 -m {PKG} on a file with bad lines {bad}: status {r.returncode}, "
             f"stdout {r.stdout[-300:]!r}, stderr {r.stderr[-600:]!r}; want status 1 and stderr {want!r}")
    r = run([sys.executable, "-m", "unittest", "-v", f"test_{PKG}"], timeout=60)
    ran = re.search(r"^Ran (\d+) tests?", r.stderr, re.M)
    if r.returncode != 0:
        fail(f"python3 -m unittest test_{PKG} fails:\n{r.stderr[-1500:]}")
    if not ran or int(ran.group(1)) < TEST_COUNT:
        fail(f"test_{PKG}.py runs {ran.group(1) if ran else 'no'} tests, want all {TEST_COUNT}")


{"api": check_api, "layers": check_layers, "cli": check_cli}[sys.argv[1]]()
