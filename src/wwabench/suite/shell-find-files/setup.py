"""Generate a seed-dependent tree under data/ for the find-files task."""
import hashlib
import random

WORDS = ("alpha beta gamma delta omega kappa sigma lambda vector matrix buffer cache "
         "socket thread queue parser token stream render widget packet cluster shard "
         "replica commit branch lambda signal kernel module driver").split()
DIRS = ["archive", "backup", "cache", "logs", "reports", "spool", "staging", "users", "var", "web"]
SUBS = ["2023", "2024", "east", "west", "old", "new", "nightly", "tmp", "x", "y"]
EXTS = ["log", "txt", "csv", "dat", "cfg", "out"]
STEMS = ["app", "db", "job", "node", "run", "svc", "task", "trace", "worker", "batch"]


def _text(rng, size, keyword, mode):
    """Text of exactly `size` bytes; mode: 'hit' contains keyword, 'near' a decoy, 'none'."""
    lines, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
        lines.append(line)
        n += len(line) + 1
    body = "\n".join(lines) + "\n"
    if mode == "hit":
        insert = f"event {keyword} seen\n"
    elif mode == "near":
        insert = rng.choice([f"event {keyword.lower()} seen\n", f"event {keyword[:-1]} seen\n",
                             f"event {keyword[1:]} seen\n"])
    else:
        insert = ""
    cut = size - len(insert)
    body = body[:cut]
    if body and not body.endswith("\n"):
        body = body[:-1] + "\n"
    pos = rng.randint(0, len(body))
    pos = body.rfind("\n", 0, pos) + 1  # line start
    text = body[:pos] + insert + body[pos:]
    assert len(text.encode()) == size, (len(text), size)
    return text


def setup(rng: random.Random) -> dict:
    ext = rng.choice(["log", "txt", "csv", "dat"])
    min_size = rng.randrange(800, 2400, 50)
    keyword = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3)) + "-" + str(rng.randint(1000, 9999))
    out = f"matches_{rng.randint(100, 999)}.txt"
    dest = f"picked_{rng.choice(['a', 'b', 'c', 'd'])}{rng.randint(10, 99)}"
    counts = f"counts_{rng.randint(100, 999)}.txt"

    files = {}
    used = set()
    tops = rng.sample(DIRS, 6)

    def new_path(e):
        while True:
            top = rng.choice(tops)
            parts = [top] + [rng.choice(SUBS) for _ in range(rng.randint(0, 2))]
            stem = rng.choice(STEMS) + rng.choice(["", "_", "-", " "]) + str(rng.randint(1, 99))
            if rng.random() < 0.08:
                stem = "." + stem  # hidden file
            p = "data/" + "/".join(parts) + f"/{stem}.{e}"
            if p not in used:
                used.add(p)
                return p

    # guaranteed interesting cases
    plan = []
    for _ in range(rng.randint(6, 10)):
        plan.append((ext, rng.randint(min_size + 1, min_size + 3000), "hit"))  # matches
    plan.append((ext, min_size + 1, "hit"))                                    # boundary: matches
    plan.append((ext, min_size, "hit"))                                        # boundary: too small
    for _ in range(3):
        plan.append((ext, rng.randint(100, min_size - 1), "hit"))              # too small
    for _ in range(4):
        plan.append((ext, rng.randint(min_size + 1, min_size + 3000), "near")) # decoy keyword
    for _ in range(6):
        plan.append((ext, rng.randint(100, min_size + 3000), "none"))
    others = [e for e in EXTS if e != ext]
    for _ in range(5):
        plan.append((rng.choice(others), rng.randint(min_size + 1, min_size + 3000), "hit"))  # wrong ext
    for _ in range(12):
        plan.append((rng.choice(others), rng.randint(100, min_size + 3000), rng.choice(["none", "near"])))
    plan.append((ext + ".bak", min_size + 500, "hit"))                         # wrong ext (suffix)
    rng.shuffle(plan)
    for e, size, mode in plan:
        files[new_path(e)] = _text(rng, size, keyword, mode)
    # a directory whose name ends in .ext holding a non-matching file
    files[f"data/{tops[0]}/bundle.{ext}/readme.md"] = _text(rng, min_size + 200, keyword, "hit")

    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p].encode() + b"\0")
    return {
        "params": {"ext": ext, "min_size": str(min_size), "keyword": keyword, "out": out,
                   "dest": dest, "counts": counts, "datasum": h.hexdigest()[:20]},
        "files": files,
    }
