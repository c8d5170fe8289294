"""Checks for recovery-build-glossary: run ./build.sh and the glossary renderer in child
processes on copies of the workspace, and compare with an independent rendering."""
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
PKG, EXT = P["pkg"], P["ext"]
NEWDIR = f"{P['newa']}/{P['newb']}"
TARBALL = f"dist/{PKG}-{P['version']}.tar.{EXT}"
rng = random.Random()
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


# ---- reference -----------------------------------------------------------------
def parse(text):
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        term, _, definition = line.partition(":")
        entries.append((term.strip(), definition.strip()))
    return entries


def render(entries):
    ordered = sorted(entries, key=lambda e: (e[0].casefold(), e[0]))
    return "".join(f"{t} - {d}\n" for t, d in ordered)


def render_dir(d):
    entries = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".txt"):
            with open(os.path.join(d, name), encoding="utf-8") as fh:
                entries.extend(parse(fh.read()))
    return render(entries)


# ---- fresh inputs --------------------------------------------------------------
SYL = ["ka", "lo", "mi", "ne", "ru", "so", "ta", "vi", "zo", "be", "du", "fa", "gi", "po", "qu"]
WORDS = ["quick", "tool", "old", "format", "for", "data", "a", "small", "thing", "that", "runs"]


def fresh_terms(n, taken):
    terms = []
    while len(terms) < n:
        base = "".join(rng.choice(SYL) for _ in range(rng.randint(1, 3)))
        forms = [base, base.capitalize(), base.upper()]
        pick = rng.sample(forms, rng.choice([1, 1, 2, 3]))
        for t in pick:
            if t not in taken:
                taken.add(t)
                terms.append(t)
    return terms


def fresh_file(terms):
    lines = [f"# fresh {rng.randint(1, 99)}"]
    for t in terms:
        d = " ".join(rng.sample(WORDS, rng.randint(1, 4)))
        if rng.random() < 0.2:
            d += ": see also " + rng.choice(WORDS)
        lines.append(f"{' ' * rng.randint(0, 2)}{t}{' ' * rng.randint(0, 1)}:{' ' * rng.randint(0, 2)}{d}")
        if rng.random() < 0.15:
            lines.append("")
    return "\n".join(lines) + "\n"


def existing_terms(ws):
    d = os.path.join(ws, NEWDIR)
    taken = set()
    if os.path.isdir(d):
        for name in os.listdir(d):
            if name.endswith(".txt"):
                with open(os.path.join(d, name), encoding="utf-8") as fh:
                    taken.update(t for t, _ in parse(fh.read()))
    return taken


# ---- helpers -------------------------------------------------------------------
def copy_ws():
    ws = os.path.join(tempfile.mkdtemp(), "ws")
    shutil.copytree(".", ws, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for junk in ("dist", "build"):
        shutil.rmtree(os.path.join(ws, junk), ignore_errors=True)
    return ws


def build(ws):
    try:
        return subprocess.run(["./build.sh"], cwd=ws, capture_output=True, text=True, timeout=90, env=ENV)
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"./build.sh: {e}")


def unchanged():
    h = hashlib.sha256()
    paths = []
    for top in ("tests", NEWDIR):
        for root, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            paths += [os.path.join(root, f) for f in files]
    for p in sorted(paths):
        with open(p, "rb") as fh:
            h.update(p.encode() + b"\0" + fh.read() + b"\0")
    if h.hexdigest() != P["fixedsum"]:
        fail(f"tests/ or the term files in {NEWDIR}/ were changed, added, moved or deleted")


def packaged_glossary(ws):
    path = os.path.join(ws, TARBALL)
    if not os.path.isfile(path):
        fail(f"{TARBALL} was not built")
    try:
        with tarfile.open(path, f"r:{EXT}") as tar:
            names = tar.getnames()
            for want in (f"{PKG}/glossary.py", "VERSION", "build/glossary.txt"):
                if want not in names:
                    fail(f"{TARBALL} lacks {want}")
            return tar.extractfile("build/glossary.txt").read().decode("utf-8")
    except (tarfile.TarError, OSError, EOFError) as e:
        fail(f"{TARBALL} is not a .tar.{EXT} archive: {e}")


which = sys.argv[1]
if which == "build":
    unchanged()
    ws = copy_ws()
    r = build(ws)
    if r.returncode != 0:
        fail(f"./build.sh exited {r.returncode}:\n{r.stdout[-1200:]}\n{r.stderr[-1200:]}")
    packaged_glossary(ws)
    ws = copy_ws()
    with open(os.path.join(ws, "tests", f"test_zz_canary_{rng.randint(100, 999)}.py"), "w") as fh:
        fh.write("import unittest\n\n\nclass Canary(unittest.TestCase):\n"
                 "    def test_fails(self):\n        self.fail('canary')\n")
    r = build(ws)
    if r.returncode == 0:
        fail("./build.sh succeeds although a unit test fails")
elif which == "corpus":
    ws = copy_ws()
    d = os.path.join(ws, NEWDIR)
    if not os.path.isdir(d):
        fail(f"{NEWDIR}/ is missing")
    with open(os.path.join(d, f"fresh{rng.randint(100, 999)}.txt"), "w") as fh:
        fh.write(fresh_file(fresh_terms(rng.randint(6, 12), existing_terms(ws))))
    r = build(ws)
    if r.returncode != 0:
        fail(f"./build.sh with a new term file exited {r.returncode}:\n{r.stdout[-1000:]}\n{r.stderr[-1000:]}")
    got, want = packaged_glossary(ws), render_dir(d)
    if got != want:
        fail(f"build/glossary.txt in {TARBALL} is wrong:\n--- got\n{got[:1500]}--- want\n{want[:1500]}")
elif which == "render":
    ws = copy_ws()
    tmp = tempfile.mkdtemp()
    taken = set()
    files = []
    for i in range(rng.randint(2, 3)):
        path = os.path.join(tmp, f"part{i}.txt")
        with open(path, "w") as fh:
            fh.write(fresh_file(fresh_terms(rng.randint(5, 15), taken)))
        files.append(path)
    # a pair that plain code-point order gets wrong (odd lengths: never one of the drawn terms)
    with open(files[0], "a") as fh:
        fh.write(f"Zyx{rng.choice(SYL)}: last in dictionary order\nbax{rng.choice(SYL)}: early\n")
    entries = []
    for path in files:
        with open(path) as fh:
            entries.extend(parse(fh.read()))
    want = render(entries)
    try:
        r = subprocess.run([sys.executable, "-m", f"{PKG}.glossary", *files], cwd=ws, capture_output=True,
                           text=True, timeout=30, env=ENV)
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"python3 -m {PKG}.glossary: {e}")
    if r.returncode != 0 or r.stdout != want:
        fail(f"python3 -m {PKG}.glossary on fresh files: rc={r.returncode}\n--- got\n{r.stdout[:1200]}"
             f"--- want\n{want[:1200]}--- stderr\n{r.stderr[-600:]}")
print("ok")
