"""Hidden checks for multi-file-shell-config. Usage: python3 /checks/check.py MODE"""

import os
import random
import shutil
import subprocess
import sys
import tempfile

APP, VAR, FN, RECORDS = (os.environ["WWA_" + k] for k in ("APP", "VAR", "FN", "RECORDS"))
WS = os.getcwd()
BIN = os.path.join(WS, "bin")
KEYS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "zeta"]
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(script, args, cwd, data_dir):
    env = {k: v for k, v in os.environ.items() if k != VAR}
    if data_dir is not None:
        env[VAR] = data_dir
    return subprocess.run(["bash", os.path.join(BIN, script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=20)


def records(n):
    return [f"{rng.choice(KEYS)}={rng.randint(-500, 900)}" for _ in range(n)]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def check_log(data_dir, message):
    log = read(os.path.join(data_dir, APP + ".log")) or ""
    if f"{APP}: {message}\n" not in log:
        fail(f"{data_dir}/{APP}.log lacks the line '{APP}: {message}'; it is:\n{log}")


def ingest_input():
    good = records(rng.randint(3, 12))
    lines = list(good)
    for bad in ["# comment", "", "Upper=3", "key=abc", "spaced = 4", "x=1.5", "=7"]:
        lines.insert(rng.randint(0, len(lines)), bad)
    return good, "\n".join(lines) + rng.choice(["\n", ""])


def check_lib(tmp):
    d = os.path.join(tmp, "some dir", "x" + str(rng.randint(1000, 9999)))
    script = f'. bin/lib.sh; unset {VAR}; a=$({FN}); {VAR}=; b=$({FN}); {VAR}="$1"; c=$({FN}); printf "%s|%s|%s" "$a" "$b" "$c"'
    r = subprocess.run(["bash", "-c", script, "bash", d], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 or r.stdout != f"data|data|{d}":
        fail(f"{FN} printed {r.stdout!r} (rc {r.returncode}, {r.stderr.strip()}), want 'data', 'data', '{d}'")


def check_ingest(tmp):
    data_dir = os.path.join(tmp, "store" + str(rng.randint(100, 999)), "nested")
    before = read(os.path.join(WS, "data", RECORDS))
    good, text = ingest_input()
    with open(os.path.join(tmp, "input.txt"), "w") as f:
        f.write(text)
    r = run("ingest.sh", [os.path.join(tmp, "input.txt")], WS, data_dir)
    if r.returncode != 0:
        fail(f"ingest.sh failed: {r.stderr}")
    got = read(os.path.join(data_dir, RECORDS))
    if got != "".join(x + "\n" for x in good):
        fail(f"{data_dir}/{RECORDS} is {got!r}, want {good}")
    if read(os.path.join(WS, "data", RECORDS)) != before:
        fail(f"ingest.sh with {VAR} set modified data/{RECORDS}")
    check_log(data_dir, f"ingested {len(good)} records")
    # a second run appends
    more = records(3)
    with open(os.path.join(tmp, "more.txt"), "w") as f:
        f.write("\n".join(more) + "\n")
    r = run("ingest.sh", [os.path.join(tmp, "more.txt")], WS, data_dir)
    if r.returncode != 0 or read(os.path.join(data_dir, RECORDS)) != "".join(x + "\n" for x in good + more):
        fail("a second ingest.sh run did not append to the store")


def expected_summary(recs):
    totals = {}
    for rec in recs:
        k, v = rec.split("=")
        totals[k] = totals.get(k, 0) + int(v)
    return f"records: {len(recs)}\n" + "".join(f"{k} {totals[k]}\n" for k in sorted(totals))


def check_summary(tmp):
    for i in range(2):
        data_dir = os.path.join(tmp, f"sum{i}")
        os.makedirs(data_dir)
        recs = records(rng.randint(2, 25))
        with open(os.path.join(data_dir, RECORDS), "w") as f:
            f.write("".join(x + "\n" for x in recs))
        r = run("summary.sh", [], WS, data_dir)
        if r.returncode != 0 or r.stdout != expected_summary(recs):
            fail(f"summary.sh printed:\n{r.stdout}{r.stderr}\nwant:\n{expected_summary(recs)}")
    empty = os.path.join(tmp, "empty")
    r = run("summary.sh", [], WS, empty)
    if r.returncode != 0 or r.stdout != "":
        fail(f"summary.sh on a missing store printed {r.stdout!r} (rc {r.returncode})")
    check_log(empty, "no records")


def check_purge(tmp):
    data_dir = os.path.join(tmp, "purge")
    os.makedirs(data_dir)
    recs = records(rng.randint(6, 20))
    key = rng.choice([r.split("=")[0] for r in recs])
    with open(os.path.join(data_dir, RECORDS), "w") as f:
        f.write("".join(x + "\n" for x in recs))
    before = read(os.path.join(WS, "data", RECORDS))
    r = run("purge.sh", [key], WS, data_dir)
    want = "".join(x + "\n" for x in recs if not x.startswith(key + "="))
    if r.returncode != 0 or read(os.path.join(data_dir, RECORDS)) != want:
        fail(f"purge.sh {key} left {read(os.path.join(data_dir, RECORDS))!r}, want {want!r} ({r.stderr})")
    if read(os.path.join(WS, "data", RECORDS)) != before:
        fail(f"purge.sh with {VAR} set modified data/{RECORDS}")
    check_log(data_dir, f"purged {key}")


def check_default(tmp):
    """Without the variable, the scripts use ./data of the current directory."""
    good, text = ingest_input()
    with open(os.path.join(tmp, "input.txt"), "w") as f:
        f.write(text)
    r = run("ingest.sh", ["input.txt"], tmp, None)
    if r.returncode != 0 or read(os.path.join(tmp, "data", RECORDS)) != "".join(x + "\n" for x in good):
        fail(f"without {VAR}, ingest.sh did not write data/{RECORDS} ({r.stderr})")
    check_log(os.path.join(tmp, "data"), f"ingested {len(good)} records")
    r = run("summary.sh", [], tmp, "")
    if r.returncode != 0 or r.stdout != expected_summary(good):
        fail(f"with {VAR} empty, summary.sh printed:\n{r.stdout}{r.stderr}")


tmp = tempfile.mkdtemp(prefix=".check-", dir=WS)
try:
    {"lib": check_lib, "ingest": check_ingest, "summary": check_summary,
     "purge": check_purge, "default": check_default}[sys.argv[1]](tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
