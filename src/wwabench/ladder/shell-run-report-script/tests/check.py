"""Checks for shell-run-report-script: the task's own script (verified unchanged) gives the expected output."""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def verify_sources():
    files = {}
    for top in ("tools", "data"):
        for root, dirs, fs in os.walk(top):
            for f in fs:
                p = os.path.join(root, f)
                if os.path.isfile(p) and not os.path.islink(p):
                    files[p] = Path(p).read_bytes()
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p] + b"\0")
    if h.hexdigest()[:20] != P["srcsum"]:
        fail("tools/ or data/ was modified")


def main(which):
    verify_sources()
    script = Path("tools") / P["script"]
    if which == "mode":
        if script.is_symlink() or not script.is_file():
            fail(f"{script} is not a regular file")
        if not os.stat(script).st_mode & 0o100:
            fail(f"{script} is not executable ({oct(os.stat(script).st_mode & 0o777)})")
    elif which == "output":
        out = Path(P["out"])
        if not out.is_file():
            fail(f"{out} missing")
        # the script is the task's own (its hash is verified above): run it with bash
        r = subprocess.run(["bash", str(script), P["region"]], capture_output=True, text=True,
                           timeout=20, stdin=subprocess.DEVNULL)
        if r.returncode != 0 or not r.stdout:
            fail(f"internal: reference run failed rc={r.returncode} err={r.stderr[-300:]!r}")
        got = out.read_text()
        if got != r.stdout:
            fail(f"{out} differs:\n--- got\n{got}--- want\n{r.stdout}")
    print("ok")


main(sys.argv[1])
