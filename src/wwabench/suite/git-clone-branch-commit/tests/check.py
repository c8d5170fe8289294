"""Hidden checks for git-clone-branch-commit. Usage: python3 /checks/check.py MODE"""

import os
import subprocess
import sys

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
DIR, BRANCH = P["dir"], P["branch"]
MESSAGE = f"{P['ticket']}: set {P['key']} to {P['value']}"
UP = "upstream.git"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def git(*args, repo=DIR, ok=False):
    r = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 and not ok:
        fail(f"git -C {repo} {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip() if r.returncode == 0 else None


def upstream_main():
    """The tip of upstream main, which must still be the original last commit."""
    tip = git("rev-parse", "--verify", "refs/heads/main", repo=UP)
    if git("log", "-1", "--format=%s", tip, repo=UP) != "Raise the worker count":
        fail("upstream.git main was changed")
    return tip


def clone():
    if not os.path.isdir(os.path.join(DIR, ".git")):
        fail(f"{DIR} is not a Git clone")
    # The workspace's absolute path may differ between the agent's and the check's
    # sandbox, so compare the last path component and the commits, not the full URL.
    url = git("remote", "get-url", "origin", ok=True) or ""
    if os.path.basename(url.rstrip("/")) != UP:
        fail(f"origin of {DIR} is {url!r}, not upstream.git")
    if git("rev-parse", "--verify", "-q", "refs/remotes/origin/main", ok=True) != upstream_main():
        fail(f"{DIR} has no origin/main at upstream's main")


def the_commit():
    """The branch tip, checked to be one commit on top of upstream main."""
    clone()
    tip = git("rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}", ok=True)
    if tip is None:
        fail(f"no branch {BRANCH} in {DIR}")
    parents = git("log", "-1", "--format=%P", tip).split()
    if parents != [upstream_main()]:
        fail(f"{BRANCH} is not a single commit on top of main (parents {parents})")
    return tip


def check_clone():
    clone()


def check_branch():
    the_commit()
    if git("symbolic-ref", "-q", "HEAD", ok=True) != f"refs/heads/{BRANCH}":
        fail(f"{BRANCH} is not checked out")


def check_message():
    tip = the_commit()
    msg = git("log", "-1", "--format=%B", tip)
    if msg != MESSAGE:
        fail(f"commit message is {msg!r}, want {MESSAGE!r}")


def check_content():
    tip = the_commit()
    changed = git("diff", "--name-only", f"{tip}^", tip).split()
    if changed != ["settings.ini"]:
        fail(f"the commit changes {changed}, want only settings.ini")
    before = git("show", f"{tip}^:settings.ini").split("\n")
    after = git("show", f"{tip}:settings.ini").split("\n")
    want = [f"{P['key']} = {P['value']}" if l.startswith(P["key"] + " = ") else l for l in before]
    if after != want:
        fail("settings.ini in the commit is:\n" + "\n".join(after) + "\nwant:\n" + "\n".join(want))


def check_push():
    tip = the_commit()
    if git("rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}", repo=UP, ok=True) != tip:
        fail(f"upstream.git has no {BRANCH} at the commit")
    heads = sorted(git("for-each-ref", "--format=%(refname:short)", "refs/heads", repo=UP).split())
    if heads != sorted(["main", "develop", BRANCH]):
        fail(f"upstream.git branches are {heads}")
    if git("log", "-1", "--format=%s", "develop", repo=UP) != "WIP: debug logging":
        fail("upstream.git develop was changed")


def check_clean():
    check_branch()
    status = git("status", "--porcelain", "--untracked-files=all")
    if status:
        fail("working tree is not clean:\n" + status)
    if git("show", "HEAD:settings.ini") != open(os.path.join(DIR, "settings.ini")).read().rstrip("\n"):
        fail("settings.ini differs from the commit")


{"clone": check_clone, "branch": check_branch, "message": check_message, "content": check_content,
 "push": check_push, "clean": check_clean}[sys.argv[1]]()
