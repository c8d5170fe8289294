"""Hidden checks for git-merge-conflict. Usage: python3 /checks/check.py MODE"""

import os
import subprocess
import sys

REPO, BRANCH, FEATURE = (os.environ["WWA_" + k] for k in ("REPO", "BRANCH", "FEATURE"))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def git(*args, ok=False):
    r = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 and not ok:
        fail(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout if r.returncode == 0 else None


def merge_commit():
    """main's tip, checked to be the merge of the original main and the branch."""
    tip = git("rev-parse", "--verify", "-q", "refs/heads/main", ok=True)
    if tip is None:
        fail("no main branch")
    parents = git("log", "-1", "--format=%P", "main").split()
    if len(parents) != 2:
        fail(f"main's tip is not a merge commit (parents: {parents})")
    branch = (git("rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}", ok=True) or "").strip()
    if not branch or git("log", "-1", "--format=%s", branch).strip() != f"Update dependencies for {FEATURE}":
        fail(f"branch {BRANCH} was changed or deleted")
    if parents[1] != branch:
        fail(f"second parent of the merge is not {BRANCH}")
    if git("log", "-1", "--format=%s", parents[0]).strip() != "Document setup in README" \
            or git("rev-list", "--count", parents[0]).strip() != "4":
        fail("first parent of the merge is not the original main")
    return parents


def pins(text):
    out = {}
    for line in text.split():
        name, ver = line.split("==")
        out[name] = ver
    return out


def vkey(ver):
    return tuple(int(x) for x in ver.split("."))


def check_merge():
    merge_commit()
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main\n":
        fail("main is not checked out")


def check_requirements():
    ours, theirs = merge_commit()
    a = pins(git("show", f"{ours}:requirements.txt"))
    b = pins(git("show", f"{theirs}:requirements.txt"))
    best = dict(a)
    for name, ver in b.items():
        if name not in best or vkey(ver) > vkey(best[name]):
            best[name] = ver
    want = "".join(f"{name}=={best[name]}\n" for name in sorted(best))
    got = git("show", "main:requirements.txt")
    if got != want:
        fail(f"requirements.txt in the merge is:\n{got}\nwant:\n{want}")


def check_others():
    ours, theirs = merge_commit()
    for path, side in [(f"{FEATURE}.py", theirs), ("README.md", ours), ("app.py", ours), ("cli.py", ours)]:
        if git("show", f"main:{path}", ok=True) != git("show", f"{side}:{path}"):
            fail(f"{path} in the merge differs from {side[:10]}'s version")
    files = sorted(git("ls-tree", "-r", "--name-only", "main").split())
    if files != sorted(["README.md", "requirements.txt", "app.py", "cli.py", f"{FEATURE}.py"]):
        fail(f"files in the merge: {files}")


def check_clean():
    merge_commit()
    if git("rev-parse", "-q", "--verify", "MERGE_HEAD", ok=True) is not None:
        fail("a merge is still in progress")
    status = git("status", "--porcelain", "--untracked-files=all")
    if status:
        fail("working tree is not clean:\n" + status)
    markers = git("grep", "-n", "-E", "^(<<<<<<<|=======|>>>>>>>)", "main", ok=True)
    if markers:
        fail("conflict markers committed:\n" + markers)


{"merge": check_merge, "requirements": check_requirements, "others": check_others,
 "clean": check_clean}[sys.argv[1]]()
