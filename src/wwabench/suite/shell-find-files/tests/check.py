"""Checks for shell-find-files; recompute the answer from data/ (which must be unchanged)."""
import hashlib
import os
import sys
from pathlib import Path

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def data_files():
    out = {}
    for root, dirs, files in os.walk("data"):
        for f in files:
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p):
                out[p] = Path(p).read_bytes()
    return out


def expected():
    files = data_files()
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p] + b"\0")
    if h.hexdigest()[:20] != P["datasum"]:
        fail("data/ was modified")
    kw = P["keyword"].encode()
    return sorted((p for p, b in files.items()
                   if p.endswith("." + P["ext"]) and len(b) > int(P["min_size"]) and kw in b),
                  key=lambda s: s.encode()), files


def main(which):
    exp, files = expected()
    if not exp:
        fail("internal: no expected matches")
    if which == "list":
        out = Path(P["out"])
        if not out.is_file():
            fail(f"{out} missing")
        want = "".join(p + "\n" for p in exp)
        got = out.read_text()
        if got != want:
            fail(f"{out} content differs:\n--- got\n{got}--- want\n{want}")
    elif which == "copies":
        dest = Path(P["dest"])
        if not dest.is_dir():
            fail(f"{dest}/ missing")
        got = {}
        for root, dirs, fs in os.walk(dest):
            for f in fs:
                p = os.path.join(root, f)
                got[os.path.relpath(p, dest)] = Path(p).read_bytes() if os.path.isfile(p) else None
        want = {os.path.relpath(p, "data"): files[p] for p in exp}
        if set(got) != set(want):
            fail(f"file set differs: extra {sorted(set(got) - set(want))} missing {sorted(set(want) - set(got))}")
        for k in want:
            if got[k] != want[k]:
                fail(f"{k}: content differs")
    elif which == "counts":
        c = Path(P["counts"])
        if not c.is_file():
            fail(f"{c} missing")
        n = {}
        for p in exp:
            top = p.split("/")[1]
            n[top] = n.get(top, 0) + 1
        want = "".join(f"{k} {n[k]}\n" for k in sorted(n, key=lambda s: s.encode()))
        got = c.read_text()
        if got.rstrip("\n") != want.rstrip("\n"):
            fail(f"{c} content differs:\n--- got\n{got}--- want\n{want}")
    print("ok")


main(sys.argv[1])
