"""Checks for recovery-pipeline-moved-feed: the configuration, the outputs for the feed,
and the pipeline (run in a child process on a copy) on a fresh feed."""
import configparser
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
FEED, YEAR = P["feed"], P["year"]
DATA = f"archive/{YEAR}/{FEED}.csv"
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def read(path, mode="r"):
    try:
        with open(path, mode) as fh:
            return fh.read()
    except OSError:
        fail(f"{path} does not exist")


# ---- reference -----------------------------------------------------------------
def expected(text):
    records, rejects = [], []
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(",")
        try:
            if len(fields) != 3:
                raise ValueError
            records.append((fields[1], float(fields[2])))
        except ValueError:
            rejects.append(f"line {number}: {line}\n")
    values = {}
    for sensor, value in records:
        values.setdefault(sensor, []).append(value)
    summary = "sensor,count,min,max,mean\n" + "".join(
        f"{s},{len(v)},{min(v):.2f},{max(v):.2f},{sum(v) / len(v):.2f}\n" for s, v in sorted(values.items()))
    return summary, "".join(rejects)


def fresh_feed():
    sensors = [f"{rng.choice(['temp', 'hum', 'pres', 'volt'])}{i}" for i in range(rng.randint(2, 6))]
    lines = [f"# fresh feed {rng.randint(1, 999)}"]
    kinds = [0, 1, 2] + [rng.randrange(3) for _ in range(rng.randint(0, 5))]
    total = rng.randint(25, 70)
    bad_at = dict(zip(rng.sample(range(total), len(kinds)), kinds))
    for i in range(total):
        stamp = f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:{rng.randint(10, 59)}"
        s = rng.choice(sensors)
        k = bad_at.get(i)
        if k == 0:
            lines.append(rng.choice([f"{stamp},{s}", f"{stamp}", f"{stamp};{s};1.5"]))
        elif k == 1:
            lines.append(f"{stamp},{s},{rng.randint(0, 99)},{rng.choice(['ok', '', '7'])}")
        elif k == 2:
            lines.append(f"{stamp},{s},{rng.choice(['N/A', 'bad', '', '1.2.3', 'x9', '?'])}")
        else:
            lines.append(f"{stamp},{s},{rng.randint(-9999, 99999) / 100}")
        if rng.random() < 0.08:
            lines.append(rng.choice(["", "# a comment, with commas"]))
    return "\n".join(lines) + "\n"


which = sys.argv[1]
if which == "config":
    if hashlib.sha256(read(DATA, "rb")).hexdigest() != P["datasum"]:
        fail(f"{DATA} was modified")
    if os.path.lexists(f"incoming/{FEED}.csv"):
        fail(f"incoming/{FEED}.csv exists: the feed was copied or linked back instead of configured")
    cfg = configparser.ConfigParser()
    try:
        cfg.read_string(read("pipeline.ini"))
        path = cfg["input"]["path"]
    except (configparser.Error, KeyError) as e:
        fail(f"pipeline.ini has no [input] path: {e}")
    if os.path.normpath(path) != DATA:
        fail(f"pipeline.ini [input] path is {path!r}, not the feed's location")
elif which == "outputs":
    summary, rejects = expected(read(DATA))
    if hashlib.sha256(read(DATA, "rb")).hexdigest() != P["datasum"]:
        fail(f"{DATA} was modified")
    for path, want in ((f"out/{FEED}_summary.csv", summary), (f"out/{FEED}_rejects.txt", rejects)):
        got = read(path)
        if got != want:
            fail(f"{path} is wrong:\n--- got\n{got[:800]}--- want\n{want[:800]}")
elif which == "fresh":
    ws = os.path.join(tempfile.mkdtemp(), "ws")
    shutil.copytree(".", ws, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    name = f"fresh{rng.randint(100, 999)}"
    text = fresh_feed()
    os.makedirs(os.path.join(ws, "feeds"), exist_ok=True)
    with open(os.path.join(ws, "feeds", f"{name}.csv"), "w") as fh:
        fh.write(text)
    with open(os.path.join(ws, "pipeline.ini"), "w") as fh:
        fh.write(f"[input]\npath = feeds/{name}.csv\n\n[output]\nsummary = res/{name}_summary.csv\n"
                 f"rejects = res/{name}_rejects.txt\n")
    try:
        r = subprocess.run([sys.executable, "process.py"], cwd=ws, capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(f"python3 process.py: {e}")
    if r.returncode != 0:
        fail(f"python3 process.py on a fresh feed exited {r.returncode}:\n{r.stderr[-1200:]}")
    summary, rejects = expected(text)
    for path, want in ((f"res/{name}_summary.csv", summary), (f"res/{name}_rejects.txt", rejects)):
        try:
            with open(os.path.join(ws, path)) as fh:
                got = fh.read()
        except OSError:
            fail(f"python3 process.py did not write {path} (the path set in pipeline.ini)")
        if got != want:
            fail(f"{path} for a fresh feed is wrong:\n--- got\n{got[:800]}--- want\n{want[:800]}")
print("ok")
