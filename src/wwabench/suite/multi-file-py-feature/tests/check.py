"""Hidden checks for multi-file-py-feature. Usage: python3 /checks/check.py MODE"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

FIELD = os.environ["WWA_FIELD"]
DEFAULT = int(os.environ["WWA_DEFAULT"])
WS = os.getcwd()
WORDS = ["alpha", "bravo", "report", "garden", "invoice", "kettle", "meeting", "tyres", "letters", "paint"]
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def track(db, *args):
    r = subprocess.run([sys.executable, os.path.join(WS, "track.py"), "--db", db, *args], cwd=WS,
                       capture_output=True, text=True, timeout=20,
                       env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    return r


def title():
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))).capitalize()


def line(item):
    mark = "x" if item["done"] else " "
    return f"[{mark}] #{item['id']} {item['title']} ({FIELD} {item.get(FIELD, DEFAULT)})"


def check_add(tmp):
    db = os.path.join(tmp, "db.json")
    want = []
    for i in range(rng.randint(3, 6)):
        t = title()
        if rng.random() < 0.7:
            v = rng.randint(-3, 40)
            r = track(db, "add", t, f"--{FIELD}", str(v))
        else:
            v = DEFAULT
            r = track(db, "add", t)
        if r.returncode != 0 or r.stdout != f"added #{i + 1}\n":
            fail(f"add failed: {r.stdout}{r.stderr}")
        want.append({"id": i + 1, "title": t, "done": False, FIELD: v})
    target = rng.choice(want)
    r = track(db, "done", str(target["id"]))
    if r.returncode != 0 or r.stdout != f"done #{target['id']}\n":
        fail(f"done failed: {r.stdout}{r.stderr}")
    target["done"] = True
    with open(db) as f:
        got = json.load(f)
    if got != want:
        fail(f"data file is {got}, want {want}")


def write_db(tmp):
    """A data file mixing items with the new key and legacy items without it."""
    items = []
    for i in range(rng.randint(5, 9)):
        item = {"id": i + 1 + rng.randint(0, 2) * 10, "title": title(), "done": rng.random() < 0.35}
        if rng.random() < 0.65:
            item[FIELD] = rng.randint(0, 30)
        items.append(item)
    db = os.path.join(tmp, "list.json")
    with open(db, "w") as f:
        json.dump(items, f)
    return db, items


def expect(cmd, r, items):
    want = "".join(line(i) + "\n" for i in items)
    if r.returncode != 0 or r.stdout != want:
        fail(f"{cmd} printed:\n{r.stdout}{r.stderr}\nwant:\n{want}")


def check_list(tmp):
    db, items = write_db(tmp)
    expect("list", track(db, "list"), [i for i in items if not i["done"]])
    expect("list --all", track(db, "list", "--all"), items)


def check_filter(tmp):
    db, items = write_db(tmp)
    values = sorted({i.get(FIELD, DEFAULT) for i in items})
    for n in [rng.choice(values), rng.choice(values) + 1, min(values)]:
        expect(f"list --min-{FIELD} {n}", track(db, "list", f"--min-{FIELD}", str(n)),
               [i for i in items if not i["done"] and i.get(FIELD, DEFAULT) >= n])
        expect(f"list --all --min-{FIELD} {n}", track(db, "list", "--all", f"--min-{FIELD}", str(n)),
               [i for i in items if i.get(FIELD, DEFAULT) >= n])


tmp = tempfile.mkdtemp(prefix=".check-", dir=WS)
try:
    {"add": check_add, "list": check_list, "filter": check_filter}[sys.argv[1]](tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
