"""Checks for shell-dedupe-oldest.

The original tree is {{dir}}/ plus {{trash}}/ mapped back onto it; its paths and
contents must be the seed's (treesum). The expected answer is recomputed from that
union and its mtimes.
"""
import hashlib
import os
import sys
from pathlib import Path

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
TOP, TRASH = P["dir"], P["trash"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def walk(root):
    out = {}
    for r, dirs, fs in os.walk(root):
        for f in fs:
            p = os.path.join(r, f)
            if os.path.islink(p) or not os.path.isfile(p):
                fail(f"{p} is not a regular file")
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (Path(p).read_bytes(), int(st.st_mtime))
    return out


def key(s):
    return s.encode()


def load():
    here = walk(TOP) if os.path.isdir(TOP) else {}
    moved = walk(TRASH) if os.path.isdir(TRASH) else {}
    both = set(here) & set(moved)
    if both:
        fail(f"in both {TOP}/ and {TRASH}/: {sorted(both)[:3]}")
    union = {**here, **moved}
    h = hashlib.sha256()
    for rel in sorted(union, key=key):
        h.update(f"{TOP}/{rel}".encode() + b"\0" + union[rel][0] + b"\0")
    if h.hexdigest()[:20] != P["treesum"]:
        fail(f"the files of {TOP}/ and {TRASH}/ together are not the original files of {TOP}/ "
             "(a file was lost, changed, or moved to a wrong path)")
    return here, moved, union


def expected(union):
    """{moved rel: kept rel}."""
    groups = {}
    for rel, (data, mtime) in union.items():
        if data:
            groups.setdefault(hashlib.sha256(data).digest(), []).append(rel)
    out = {}
    for rels in groups.values():
        if len(rels) < 2:
            continue
        rels.sort(key=lambda r: (union[r][1], f"{TOP}/{r}".encode()))
        for r in rels[1:]:
            out[r] = rels[0]
    return out


def main(which):
    here, moved, union = load()
    exp = expected(union)
    if len(exp) < 5:
        fail("internal: too few duplicates")
    if which == "kept":
        extra = sorted(set(here) & set(exp), key=key)
        lost = sorted(set(moved) - set(exp), key=key)
        if extra:
            fail(f"{len(extra)} duplicate(s) still in {TOP}/, e.g. {TOP}/{extra[0]}")
        if lost:
            fail(f"{len(lost)} file(s) that should stay were moved, e.g. {TOP}/{lost[0]}")
    elif which == "trash":
        if not os.path.isdir(TRASH):
            fail(f"{TRASH}/ missing")
        if set(moved) != set(exp):
            miss = sorted(set(exp) - set(moved), key=key)
            wrong = sorted(set(moved) - set(exp), key=key)
            fail(f"{TRASH}/ differs: missing {miss[:3]} ({len(miss)}), wrong {wrong[:3]} ({len(wrong)})")
        t = hashlib.sha256()
        for rel in sorted(union, key=key):
            t.update(f"{TOP}/{rel}".encode() + b"\0" + str(union[rel][1]).encode() + b"\0")
        if t.hexdigest()[:20] != P["timesum"]:
            fail("modification times were not kept")
    elif which == "report":
        rep = Path(P["report"])
        if not rep.is_file():
            fail(f"{rep} missing")
        want = sorted(f"{TOP}/{m}\t{TOP}/{k}" for m, k in exp.items())
        want = "".join(line + "\n" for line in sorted(want, key=key))
        got = rep.read_bytes().decode(errors="replace")
        if got != want:
            gl, wl = got.splitlines(), want.splitlines()
            fail(f"{rep} differs ({len(gl)} lines, want {len(wl)}): "
                 f"first unexpected {next((x for x in gl if x not in wl), None)!r}, "
                 f"first missing {next((x for x in wl if x not in gl), None)!r}"
                 + ("" if set(gl) != set(wl) else " (order or trailing newline)"))
    print("ok")


main(sys.argv[1])
