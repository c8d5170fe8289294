"""Hidden checks for git-partial-stage-commit. Usage: python3 /checks/check.py MODE"""

import os
import subprocess
import sys

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
REPO, TARGET, OTHER = P["repo"], P["target"], P["other"]
MESSAGE = f"{P['ticket']}: update {TARGET}"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def git(*args, ok=False):
    r = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 and not ok:
        fail(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout if r.returncode == 0 else None


def changed(path, text):
    """path's content with this task's uncommitted change applied to text."""
    if path == f"{P['module']}.py":
        return text.replace(f"{P['const']} = {P['old']}\n", f"{P['const']} = {P['new']}\n")
    return text + f"- check the {P['word']} rollout\n"


def new_commit():
    """main's tip, checked to be one new commit on top of the original three."""
    if git("rev-list", "--count", "refs/heads/main", ok=True) != "4\n":
        fail("main does not have exactly one new commit")
    parent = git("log", "-1", "--format=%ct|%cn|%s", "refs/heads/main^")
    if parent != f"{1717236000 + 3 * 3600}|Jo Keeper|Add {P['notes']}\n":
        fail("the new commit is not on top of the old tip of main")
    return git("rev-parse", "refs/heads/main").strip()


def disk(path):
    try:
        with open(os.path.join(REPO, path)) as f:
            return f.read()
    except OSError as e:
        fail(f"cannot read {path}: {e}")


def check_commit():
    tip = new_commit()
    msg = git("log", "-1", "--format=%B", tip).strip("\n")
    if msg != MESSAGE:
        fail(f"commit message is {msg!r}, want {MESSAGE!r}")
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main\n":
        fail("main is not checked out")


def check_content():
    tip = new_commit()
    names = git("diff", "--name-only", f"{tip}^", tip).split()
    if names != [TARGET]:
        fail(f"the commit changes {names}, want only {TARGET}")
    want = changed(TARGET, git("show", f"{tip}^:{TARGET}"))
    if git("show", f"{tip}:{TARGET}") != want:
        fail(f"{TARGET} in the commit is not the changed version")
    if disk(TARGET) != want:
        fail(f"{TARGET} on disk differs from the commit")


def check_other():
    tip = new_commit()
    before = git("show", f"{tip}^:{OTHER}")
    if git("show", f"{tip}:{OTHER}") != before:
        fail(f"the change to {OTHER} was committed")
    if disk(OTHER) != changed(OTHER, before):
        fail(f"{OTHER} on disk lost its change")


{"commit": check_commit, "content": check_content, "other": check_other}[sys.argv[1]]()
