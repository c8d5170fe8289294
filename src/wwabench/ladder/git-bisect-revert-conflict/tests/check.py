"""Hidden checks for git-bisect-revert-conflict. Usage: python3 /checks/check.py MODE"""

import hashlib
import os
import subprocess
import sys
import tempfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
REPO = P["repo"]
N = int(P["ncommits"])


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def git(*args, ok=False):
    r = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 and not ok:
        fail(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout if r.returncode == 0 else None


def digest(rev):
    """The tree digest setup.py computes: sorted paths with their blob ids."""
    lines = []
    for entry in git("ls-tree", "-r", rev).splitlines():
        meta, path = entry.split("\t", 1)
        lines.append((path, meta.split()[2]))
    return hashlib.sha1("".join(f"{p}\0{b}\n" for p, b in sorted(lines)).encode()).hexdigest()


def new_commit():
    """(tip, bad commit): main's tip, checked to be one new commit on the original history."""
    if git("rev-parse", "-q", "--verify", "refs/heads/main", ok=True) is None:
        fail("no branch main")
    if git("rev-list", "--count", "refs/heads/main") != f"{N + 1}\n":
        fail(f"main does not have exactly one new commit on top of its {N} commits")
    old = "refs/heads/main^"
    if git("log", "-1", "--format=%ct|%cn", old) != f"{1717236000 + N * 3600}|Pat Shopkeeper\n" \
            or digest(old) != P["tip_digest"]:
        fail("the new commit is not on top of the original tip of main (history rewritten?)")
    history = git("rev-list", "--reverse", old).split()
    return git("rev-parse", "refs/heads/main").strip(), history[int(P["bad_index"]) - 1]


def check_revert():
    tip, bad = new_commit()
    subject = git("log", "-1", "--format=%s", bad).strip()
    msg = git("log", "-1", "--format=%B", tip)
    if msg.split("\n")[0] != f'Revert "{subject}"':
        fail(f"the new commit's subject is {msg.splitlines()[0]!r}, want 'Revert \"{subject}\"'")
    if f"This reverts commit {bad}" not in msg:
        fail(f"the new commit's message does not say 'This reverts commit {bad}.'")


def check_tests():
    tip, _ = new_commit()
    archive = subprocess.run(["git", "-C", REPO, "archive", "--format=tar", tip], capture_output=True, timeout=20)
    if archive.returncode != 0:
        fail("git archive failed: " + archive.stderr.decode(errors="replace"))
    with tempfile.TemporaryDirectory() as tmp:
        untar = subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, capture_output=True, timeout=20)
        if untar.returncode != 0:
            fail("cannot unpack main's files: " + untar.stderr.decode(errors="replace"))
        try:
            r = subprocess.run([sys.executable, "run_tests.py"], cwd=tmp, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=30,
                               env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"})
        except subprocess.TimeoutExpired:
            fail("run_tests.py timed out")
        if r.returncode != 0:
            fail(f"run_tests.py exits {r.returncode} on main: " + (r.stdout + r.stderr)[-400:])
        if f"FAIL {P['test']}" in r.stdout or " 0 failed" not in r.stdout:
            fail("run_tests.py does not report all tests passed: " + r.stdout[-400:])


def check_tree():
    tip, _ = new_commit()
    if digest(tip) != P["want_digest"]:
        changed = git("diff", "--stat", "refs/heads/main^", tip).strip()
        fail("main's files are not the old tip with only the broken commit undone; the new commit changes:\n"
             + changed)


def check_state():
    new_commit()
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main\n":
        fail("main is not checked out")
    for name in ("BISECT_LOG", "BISECT_START", "REVERT_HEAD", "sequencer"):
        path = git("rev-parse", "--git-path", name).strip()
        if os.path.exists(os.path.join(REPO, path)):
            fail(f"a bisect or revert is still in progress ({path} exists)")
    status = git("status", "--porcelain", "--untracked-files=all")
    if status:
        fail("working tree is not clean:\n" + status)


{"revert": check_revert, "tests": check_tests, "tree": check_tree, "state": check_state}[sys.argv[1]]()
