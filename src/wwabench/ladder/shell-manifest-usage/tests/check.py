"""Checks for shell-manifest-usage; recompute the answer from the untouched store/ and manifest."""
import hashlib
import os
import sys
from pathlib import Path

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def key(s):
    return s.encode()


def verify():
    files, links = {}, []
    for root, dirs, fs in os.walk("store"):
        for name in dirs + fs:
            p = os.path.join(root, name)
            rel = os.path.relpath(p, "store")
            if os.path.islink(p):
                links.append(rel)
            elif os.path.isfile(p):
                files[rel] = Path(p).read_bytes()
    man = Path(P["manifest"])
    if not man.is_file():
        fail(f"{man} missing")
    h = hashlib.sha256()
    for r in sorted(files):
        h.update(r.encode() + b"\0" + files[r] + b"\0")
    for link in sorted(links):
        h.update(b"L" + link.encode() + b"\0")
    h.update(man.read_bytes())
    if h.hexdigest()[:20] != P["storesum"]:
        fail(f"store/ or {man} was modified")
    return man.read_bytes().decode()


def reached(path):
    full = os.path.join("store", path)
    if os.path.islink(full):
        return set()
    if os.path.isdir(full):
        out = set()
        for root, dirs, fs in os.walk(full):
            for f in fs:
                p = os.path.join(root, f)
                if not os.path.islink(p) and os.path.isfile(p):
                    out.add(os.path.normpath(p))
        return out
    if os.path.isfile(full):
        return {os.path.normpath(full)}
    return set()


def expected():
    text = verify()
    owners, missing = {}, set()
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        owner, path = line.split("\t", 1)
        owners.setdefault(owner, set())
        if not os.path.exists(os.path.join("store", path)):
            missing.add(path)
        else:
            owners[owner] |= reached(path)
    totals = {o: (sum(os.path.getsize(p) for p in fs), len(fs)) for o, fs in owners.items()}
    order = sorted(totals, key=lambda o: (-totals[o][0], o.encode()))
    report = "".join(f"{o} {totals[o][0]} {totals[o][1]}\n" for o in order)
    return totals, report, "".join(p + "\n" for p in sorted(missing, key=key))


def main(which):
    totals, report, missing = expected()
    if len(totals) < 3 or not missing:
        fail("internal: degenerate variant")
    if which in ("totals", "report"):
        out = Path(P["report"])
        if not out.is_file():
            fail(f"{out} missing")
        got = out.read_bytes().decode(errors="replace")
        if which == "totals":
            seen = {}
            for line in got.splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    seen[parts[0]] = parts[1]
            want = {o: str(t[0]) for o, t in totals.items()}
            if seen != want:
                bad = sorted(set(seen) ^ set(want)) or [o for o in want if seen[o] != want[o]]
                fail(f"{out}: owners or byte totals differ (e.g. {bad[0]}: got {seen.get(bad[0])}, "
                     f"want {want.get(bad[0])})")
        elif got != report:
            fail(f"{out} differs:\n--- got\n{got}--- want\n{report}")
    elif which == "missing":
        out = Path(P["missing"])
        if not out.is_file():
            fail(f"{out} missing")
        got = out.read_bytes().decode(errors="replace")
        if got != missing:
            fail(f"{out} differs:\n--- got\n{got}--- want\n{missing}")
    print("ok")


main(sys.argv[1])
