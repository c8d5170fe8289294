"""Hidden checks for git-restore-file-from-tag. Usage: python3 /checks/check.py MODE"""

import os
import subprocess
import sys

REPO, NAME, VERSION = os.environ["WWA_REPO"], os.environ["WWA_NAME"], os.environ["WWA_VERSION"]
CONF = f"conf/{NAME}.ini"
MESSAGE = f"Restore {CONF} from v{VERSION}"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def git(*args, ok=False):
    r = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 and not ok:
        fail(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout if r.returncode == 0 else None


def tagged():
    sha = (git("rev-parse", "-q", "--verify", f"refs/tags/v{VERSION}^{{commit}}", ok=True) or "").strip()
    if not sha or git("log", "-1", "--format=%ct|%s", sha) != f"{1717236000 + 2 * 3600}|Add logging\n":
        fail(f"tag v{VERSION} was moved or deleted")
    return sha


def new_commit():
    """main's tip, checked to be one new commit on top of the original five."""
    if git("rev-list", "--count", "refs/heads/main", ok=True) != "6\n":
        fail("main does not have exactly one new commit")
    if git("log", "-1", "--format=%ct|%cn", "refs/heads/main^") != f"{1717236000 + 5 * 3600}|Lee Operator\n":
        fail("the new commit is not on top of the old tip of main")
    return git("rev-parse", "refs/heads/main").strip()


def check_commit():
    tip = new_commit()
    msg = git("log", "-1", "--format=%B", tip).strip("\n")
    if msg != MESSAGE:
        fail(f"commit message is {msg!r}, want {MESSAGE!r}")


def check_restored():
    tip = new_commit()
    want = git("show", f"{tagged()}:{CONF}")
    if git("show", f"{tip}:{CONF}", ok=True) != want:
        fail(f"{CONF} in the commit differs from v{VERSION}")
    try:
        with open(os.path.join(REPO, CONF)) as f:
            if f.read() != want:
                fail(f"{CONF} on disk differs from v{VERSION}")
    except OSError as e:
        fail(f"cannot read {CONF}: {e}")


def check_only():
    tip = new_commit()
    names = git("diff", "--name-only", f"{tip}^", tip).split()
    if names != [CONF]:
        fail(f"the commit changes {names}, want only {CONF}")
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main\n":
        fail("main is not checked out")
    status = git("status", "--porcelain", "--untracked-files=all")
    if status:
        fail("working tree is not clean:\n" + status)


{"commit": check_commit, "restored": check_restored, "only": check_only}[sys.argv[1]]()
