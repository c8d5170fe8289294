"""Hidden checks for mfe-missing-source. Usage: python3 /checks/check.py MODE"""

import os
import random
import shutil
import subprocess
import sys
import tempfile

LIB, FN, BROKEN = (os.environ["WWA_" + k] for k in ("LIB", "FN", "BROKEN"))
WS = os.getcwd()
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def money(cents):
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100:,}.{cents % 100:02d}"


def fresh_file(tmp):
    amounts = [rng.choice([rng.randint(1, 999), rng.randint(1000, 99999), rng.randint(100000, 99999999)])
               for _ in range(rng.randint(3, 12))]
    path = os.path.join(tmp, f"input{rng.randint(100, 999)}.txt")
    with open(path, "w") as f:
        for a in amounts:
            f.write(f"{rng.choice(['tea', 'rent', 'bus', 'gym', 'pens'])} {a}\n")
    return amounts, path


def run(script, path, cwd):
    try:
        return subprocess.run(["bash", script, path], cwd=cwd, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        fail(f"bin/{BROKEN}.sh took more than 20 s")


def check_here(tmp):
    for _ in range(3):
        amounts, path = fresh_file(tmp)
        r = run(f"bin/{BROKEN}.sh", path, WS)
        want = f"total: {money(sum(amounts))}\nlargest: {money(max(amounts))}\n"
        if r.returncode != 0 or r.stdout != want:
            fail(f"bin/{BROKEN}.sh printed:\n{r.stdout}{r.stderr[-800:]}\nwant:\n{want}")


def check_elsewhere(tmp):
    """A copy of bin/ and lib/ elsewhere, whose library's FN marks its output: the script must use it."""
    copy = os.path.join(tmp, "copy")
    for d in ("bin", "lib"):
        if os.path.isdir(d):
            shutil.copytree(d, os.path.join(copy, d), symlinks=True)
    lib = os.path.join(copy, "lib", LIB + ".sh")
    if not os.path.isfile(lib):
        fail(f"lib/{LIB}.sh is missing")
    with open(lib, "a") as f:
        f.write(f"\n{FN}() {{ printf 'lib<%s>\\n' \"$1\"; }}\n")
    amounts, path = fresh_file(tmp)
    r = run(os.path.join(copy, "bin", BROKEN + ".sh"), os.path.basename(path), tmp)
    want = f"total: lib<{sum(amounts)}>\nlargest: lib<{max(amounts)}>\n"
    if r.returncode != 0 or r.stdout != want:
        fail(f"run from another directory, with a marked {FN} in lib/{LIB}.sh, bin/{BROKEN}.sh printed:\n"
             f"{r.stdout}{r.stderr[-800:]}\nwant:\n{want}")


tmp = tempfile.mkdtemp(prefix="check-")
try:
    {"here": check_here, "elsewhere": check_elsewhere}[sys.argv[1]](tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
