"""Hidden checks for mfe-store-format-v2. Usage: python3 /checks/check.py MODE"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True

PKG, STORE, SCRIPT, DSEED = (os.environ["WWA_" + k] for k in ("PKG", "STORE", "SCRIPT", "DSEED"))
HEADER = f"# {PKG} store v2"
TEST_COUNT = 6
WS = os.getcwd()
rng = random.Random()

# Same as setup.py: the records of the original data/STORE.
USERS = ["ann", "bo", "carla m", "dev", "eli", "fred k", "gita", "hal", "ines", "jo b"]


def store_records(dseed):
    r = random.Random(dseed)
    records = []
    for _ in range(r.randint(8, 14)):
        date = f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        cents = r.choice([r.randint(1, 99999), r.randint(1, 2000), -r.randint(1, 999), r.randint(0, 99)])
        records.append((date, r.choice(USERS), cents))
    records.insert(r.randint(0, len(records)), ("2024-06-15", r.choice(USERS), r.choice([29, 57, 115, 1003, 1606])))
    return records


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(args, timeout=30):
    try:
        return subprocess.run(args, cwd=WS, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(args[:4])} took more than {timeout} s")


def fmt(cents):
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def fresh_user():
    parts = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 6)))
             for _ in range(rng.choice([1, 1, 2]))]
    user = " ".join(parts)
    if rng.random() < 0.15:
        user += "|" + str(rng.randint(1, 9))
    return user


def fresh_cents():
    return rng.choice([rng.randint(1, 99999), rng.randint(0, 99), -rng.randint(1, 2500),
                       rng.choice([29, 57, 58, 113, 115, 201, 1003, 1606, 8429])])


def fresh_records(n, users=None):
    users = users or [fresh_user() for _ in range(rng.randint(2, 7))]
    return [(f"2025-{rng.randint(1, 4):02d}-{rng.randint(1, 28):02d}", rng.choice(users), fresh_cents())
            for _ in range(n)]


def v2_text(records):
    return HEADER + "\n" + "".join(f"{d}\t{u}\t{c}\n" for d, u, c in records)


def v1_text(records):
    return "".join(f"{u.replace('|', '/')}|{fmt(c)}|{d}\n" for d, u, c in records)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def refuses(cmd, path, what):
    r = run(cmd)
    want = f"error: {path} is not a {PKG} v2 store\n"
    if r.returncode != 2 or r.stdout != "" or r.stderr != want:
        fail(f"{what} on a version 1 file: status {r.returncode}, stdout {r.stdout[-300:]!r}, "
             f"stderr {r.stderr[-500:]!r}; want status 2, no stdout, stderr {want!r}")


def check_writer(tmp):
    records = fresh_records(rng.randint(3, 7))
    new = os.path.join(tmp, "new-store.txt")
    empty = os.path.join(tmp, "empty-store.txt")
    write(empty, "")
    old_records = fresh_records(rng.randint(1, 4))
    existing = os.path.join(tmp, "existing-store.txt")
    write(existing, v2_text(old_records))
    for path, before in ((new, []), (empty, []), (existing, old_records)):
        for date, user, cents in records:
            r = run([sys.executable, "-m", PKG, "add", path, date, user, fmt(cents)])
            if r.returncode != 0:
                fail(f"python3 -m {PKG} add {path} {date} '{user}' {fmt(cents)} failed: {r.stderr[-800:]}")
        want = v2_text(before + records)
        if read(path) != want:
            fail(f"after adding {len(records)} records to {'a new' if path == new else 'an empty' if path == empty else 'an existing'} "
                 f"store, it holds:\n{read(path)!r}\nwant:\n{want!r}")


def check_reader(tmp):
    records = fresh_records(rng.randint(5, 25))
    path = os.path.join(tmp, "store.txt")
    write(path, v2_text(records))
    r = run([sys.executable, "-m", PKG, "totals", path])
    totals = {}
    for _, user, cents in records:
        totals[user] = totals.get(user, 0) + cents
    want = "".join(f"{u}: {fmt(totals[u])}\n" for u in sorted(totals))
    if r.returncode != 0 or r.stdout != want:
        fail(f"python3 -m {PKG} totals on a fresh v2 store printed:\n{r.stdout}{r.stderr[-800:]}\nwant:\n{want}")
    for month in ("2025-01", "2025-03", "2025-09"):
        r = run([sys.executable, "-m", PKG, "month", path, month])
        want = fmt(sum(c for d, _, c in records if d.startswith(month + "-"))) + "\n"
        if r.returncode != 0 or r.stdout != want:
            fail(f"python3 -m {PKG} month STORE {month} printed {r.stdout!r} {r.stderr[-500:]!r}, want {want!r}")
    empty = os.path.join(tmp, "empty.txt")
    write(empty, "")
    r = run([sys.executable, "-m", PKG, "totals", empty])
    if r.returncode != 0 or r.stdout != "":
        fail(f"python3 -m {PKG} totals on an empty store printed {r.stdout!r} {r.stderr[-500:]!r} (status {r.returncode})")
    v1 = os.path.relpath(os.path.join(tmp, "old.txt"), WS)
    write(v1, v1_text(fresh_records(4)))
    refuses([sys.executable, "-m", PKG, "totals", v1], v1, f"python3 -m {PKG} totals")


def check_shell(tmp):
    script = f"bin/{SCRIPT}.sh"
    for i in range(3):
        records = fresh_records(rng.randint(4, 30))
        path = os.path.join(tmp, f"store{i}.txt")
        write(path, v2_text(records))
        totals = {}
        for _, user, cents in records:
            totals[user] = totals.get(user, 0) + cents
        n = rng.choice([None, 1, 2, 5])
        ranked = sorted(totals, key=lambda u: (-totals[u], u))[:n or 3]
        want = "".join(f"{u}\t{fmt(totals[u])}\n" for u in ranked)
        r = run(["bash", script, path] + ([str(n)] if n else []))
        if r.returncode != 0 or r.stdout != want:
            fail(f"{script} STORE {n or ''} on a fresh v2 store printed:\n{r.stdout}{r.stderr[-800:]}\nwant:\n{want}")
    r = run(["bash", script, os.path.join(tmp, "missing.txt")])
    if r.returncode != 0 or r.stdout != "":
        fail(f"{script} on a missing store printed {r.stdout!r} {r.stderr[-500:]!r} (status {r.returncode})")
    v1 = os.path.relpath(os.path.join(tmp, "old.txt"), WS)
    write(v1, v1_text(fresh_records(5)))
    refuses(["bash", script, v1], v1, script)


def check_data(tmp):
    want = store_records(int(DSEED))
    text = read(os.path.join("data", STORE))
    if text is None:
        fail(f"data/{STORE} is missing")
    lines = text.split("\n")
    if lines[0] != HEADER:
        fail(f"line 1 of data/{STORE} is {lines[0]!r}, want the header {HEADER!r}")
    if lines[-1] != "":
        fail(f"data/{STORE} does not end with a newline")
    got = []
    for number, line in enumerate(lines[1:-1], 2):
        fields = line.split("\t")
        if len(fields) != 3 or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fields[0]) \
                or not re.fullmatch(r"0|-?[1-9][0-9]*", fields[2]):
            fail(f"line {number} of data/{STORE} is not a v2 record: {line!r}")
        got.append((fields[0], fields[1], int(fields[2])))
    if got != want:
        fail(f"data/{STORE} holds {got}, want the original records {want}")
    r = run([sys.executable, "-m", "unittest", "-v", f"test_{PKG}"], timeout=60)
    ran = re.search(r"^Ran (\d+) tests?", r.stderr, re.M)
    if r.returncode != 0:
        fail(f"python3 -m unittest test_{PKG} fails:\n{r.stderr[-1500:]}")
    if not ran or int(ran.group(1)) < TEST_COUNT:
        fail(f"test_{PKG}.py runs {ran.group(1) if ran else 'no'} tests, want all {TEST_COUNT}")


tmp = tempfile.mkdtemp(prefix=".check-", dir=WS)
try:
    {"writer": check_writer, "reader": check_reader, "shell": check_shell, "data": check_data}[sys.argv[1]](tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
