"""Checks for recovery-exec-bit-report: recompute the traffic report independently."""
import hashlib
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
rng = random.Random()
COL = {"host": 0, "path": 6}[P["key"]]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def digest(path):
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def report(text):
    totals = {}
    for line in text.splitlines():
        f = line.split()
        b, h = totals.get(f[COL], (0, 0))
        totals[f[COL]] = (b + int(f[-1]), h + 1)
    order = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return "".join(f"{k} {b} {h}\n" for k, (b, h) in order)


def fresh_log():
    hosts = [f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(rng.randint(3, 8))]
    paths = [f"/{rng.choice(['a', 'b', 'shop', 'blog', 'api'])}/{rng.randint(1, 50)}" for _ in range(6)]
    lines = []
    for _ in range(rng.randint(20, 80)):
        lines.append(f'{rng.choice(hosts)} - - [0{rng.randint(1, 9)}/Jul/2024:12:00:00 +0000] '
                     f'"GET {rng.choice(paths)} HTTP/1.1" {rng.choice([200, 301, 404])} '
                     f'{rng.choice([rng.randint(0, 500000), 1000])}')
    return "\n".join(lines) + "\n"


which = sys.argv[1]
log = f"logs/{P['input']}.log"
if digest(log) != P["logsum"]:
    fail(f"{log} is missing or was modified")
if which == "saved":
    try:
        with open(P["outfile"]) as fh:
            got = fh.read()
    except OSError:
        fail(f"{P['outfile']} does not exist")
    with open(log) as fh:
        want = report(fh.read())
    if got != want:
        fail(f"{P['outfile']} is not the report of {log}:\n--- got\n{got[:800]}--- want\n{want[:800]}")
elif which == "script":
    script = f"{P['script']}.sh"
    if digest(script) != P["scriptsum"]:
        fail(f"{script} is missing or was modified")
    ws = os.path.join(tempfile.mkdtemp(), "ws")
    shutil.copytree(".", ws, symlinks=True)
    if not os.stat(os.path.join(ws, script)).st_mode & stat.S_IXUSR:
        fail(f"{script} is not executable")
    text = fresh_log()
    name = f"fresh_{rng.randint(1000, 9999)}.log"
    with open(os.path.join(ws, name), "w") as fh:
        fh.write(text)
    try:
        r = subprocess.run([f"./{script}", name], cwd=ws, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"./{script} {name}: {e}")
    want = report(text)
    if r.returncode != 0 or r.stdout != want:
        fail(f"./{script} on a fresh log: rc={r.returncode}\n{r.stderr[-500:]}")
print("ok")
