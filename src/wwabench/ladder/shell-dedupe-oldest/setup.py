"""Generate a seed-dependent tree with duplicate files and their mtimes."""
import hashlib
import random

WORDS = ("amber basil cedar delta ember fjord grove heron iris juniper kelp lotus maple nectar "
         "onyx pebble quartz raven sable tansy umber violet willow yarrow zephyr").split()
DIRS = ["", "", "2021", "2022/summer", "2022/winter", "Camera Roll", "misc/old stuff", "Zeta",
        "alpha", "-imports", "backup (2)", ".sync", "phone/DCIM", "work docs"]
STEMS = ["IMG_{n}", "scan {n}", "notes (copy {n})", "-draft{n}", ".hidden copy {n}", "report_{n}",
         "Photo {n}", "a{n}", "Z{n}", "memo-{n}", "list {n} final"]
EXTS = [".txt", ".md", ".log", ".csv", ""]
BASE = 1577836800  # 2020-01-01


def _blob(rng):
    n = rng.randint(40, 1500)
    out = []
    size = 0
    while size < n:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    lines = []
    for i in range(0, len(out), rng.randint(5, 12)):
        lines.append(" ".join(out[i:i + 9]))
    return "\n".join(lines) + "\n"


def setup(rng: random.Random) -> dict:
    top = rng.choice(["uploads", "photos", "inbox", "shared", "scans", "archive"])
    trash = f"{rng.choice(['dupes', 'trash', 'removed'])}_{rng.randint(10, 99)}"
    report = f"dedupe_{rng.randint(100, 999)}.tsv"
    used = set()

    def new_path():
        while True:
            d = rng.choice(DIRS)
            stem = rng.choice(STEMS).format(n=rng.randint(1, 40))
            p = f"{top}/" + (d + "/" if d else "") + stem + rng.choice(EXTS)
            low = {q.lower() for q in used}
            if p not in used and p.lower() not in low:
                used.add(p)
                return p

    files = {}
    mt = {}
    times = rng.sample(range(0, 3 * 365 * 86400, 60), 200)
    ti = iter(times)

    # unique files, two of them with a same-size near twin
    uniques = [_blob(rng) for _ in range(rng.randint(12, 18))]
    for blob in uniques:
        files[new_path()] = blob
    for blob in rng.sample(uniques, 2):
        i = rng.randrange(len(blob) - 1)
        twin = blob[:i] + ("x" if blob[i] != "x" else "y") + blob[i + 1:]
        files[new_path()] = twin
    # duplicate groups
    groups = []
    for _ in range(rng.randint(5, 7)):
        blob = _blob(rng)
        paths = [new_path() for _ in range(rng.randint(2, 4))]
        for p in paths:
            files[p] = blob
        groups.append(paths)
    # one more group whose copies share a base name in different directories
    blob = _blob(rng)
    name = rng.choice(STEMS).format(n=rng.randint(41, 60)) + ".txt"
    gp = []
    for d in rng.sample([d for d in DIRS if d], 3):
        p = f"{top}/{d}/{name}"
        if p not in used:
            used.add(p)
            files[p] = blob
            gp.append(p)
    groups.append(gp)
    # empty files (identical, but never duplicates here)
    for _ in range(rng.randint(2, 3)):
        files[new_path()] = ""

    for p in files:
        mt[p] = BASE + next(ti)
    # ties at the oldest mtime in two groups
    for g in rng.sample([g for g in groups if len(g) >= 2], 2):
        oldest = min(g, key=lambda p: mt[p])
        other = rng.choice([p for p in g if p != oldest])
        mt[other] = mt[oldest]

    files[".wwa-mtimes"] = "".join(f"{mt[p]}\t{p}\n" for p in sorted(mt))
    h = hashlib.sha256()
    for p in sorted(mt, key=lambda s: s.encode()):
        h.update(p.encode() + b"\0" + files[p].encode() + b"\0")
    t = hashlib.sha256()
    for p in sorted(mt, key=lambda s: s.encode()):
        t.update(p.encode() + b"\0" + str(mt[p]).encode() + b"\0")
    return {
        "params": {"dir": top, "trash": trash, "report": report,
                   "treesum": h.hexdigest()[:20], "timesum": t.hexdigest()[:20]},
        "files": files,
    }
