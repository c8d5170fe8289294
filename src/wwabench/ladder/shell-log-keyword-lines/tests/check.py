"""Checks for shell-log-keyword-lines; recompute the answer from logs/ (which must be unchanged)."""
import hashlib
import os
import sys
from pathlib import Path

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def expected():
    files = {}
    for root, dirs, fs in os.walk("logs"):
        for f in fs:
            p = os.path.join(root, f)
            files[p] = Path(p).read_bytes()
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p] + b"\0")
    if h.hexdigest()[:20] != P["logsum"]:
        fail("logs/ was modified")
    text = files[f"logs/{P['log']}"].decode()
    return [line for line in text.splitlines() if P["keyword"] in line]


def main(which):
    exp = expected()
    if not exp:
        fail("internal: no expected lines")
    if which == "count":
        out = Path(P["count"])
        if not out.is_file():
            fail(f"{out} missing")
        got = out.read_text()
        if got.strip() != str(len(exp)) or not got.endswith("\n"):
            fail(f"{out} holds {got!r}, want {len(exp)} and a newline")
    elif which == "lines":
        out = Path(P["lines"])
        if not out.is_file():
            fail(f"{out} missing")
        got = out.read_text()
        want = "".join(line + "\n" for line in exp)
        if got != want:
            gl = got.splitlines()
            fail(f"{out} differs: {len(gl)} lines, want {len(exp)}; "
                 f"first extra {next((x for x in gl if x not in exp), None)!r}, "
                 f"first missing {next((x for x in exp if x not in gl), None)!r}")
    print("ok")


main(sys.argv[1])
