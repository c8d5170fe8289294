"""Hidden checks for git-fix-history. Usage: python3 /checks/check.py MODE"""

import os
import subprocess
import sys

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
REPO, JUNK, MODULE = P["repo"], P["junk"], P["module"]
MESSAGE = f"{P['ticket']}: round {MODULE} totals to {P['places']} places"
ENTRY = f"- {P['ticket']}: round {MODULE} totals to {P['places']} places"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def git(*args, ok=False):
    r = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 and not ok:
        fail(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout if r.returncode == 0 else None


def fixed_commit():
    """main's tip, checked to be the amended commit directly on top of the tag."""
    tag = (git("rev-parse", "-q", "--verify", f"refs/tags/v{P['version']}^0", ok=True) or "").strip()
    if not tag or git("log", "-1", "--format=%s|%an|%ad", "--date=iso-strict", tag) \
            != "Add average|Alex Lead|2024-07-03T11:15:00+00:00\n":
        fail(f"tag v{P['version']} was moved or changed")
    if git("rev-list", "--count", tag).strip() != "3":
        fail("the commits before the tag were changed")
    parents = git("log", "-1", "--format=%P", "refs/heads/main").split()
    if parents != [tag]:
        fail(f"main's tip is not a single commit on top of v{P['version']} (parents {parents})")
    return git("rev-parse", "refs/heads/main").strip()


def check_history():
    tip = fixed_commit()
    msg = git("log", "-1", "--format=%B", tip).strip("\n")
    if msg != MESSAGE:
        fail(f"message is {msg!r}, want {MESSAGE!r}")
    author = git("log", "-1", "--format=%an|%ae|%ad", "--date=iso-strict", tip).strip()
    if author != "Kim Developer|kim@example.org|2024-07-04T11:15:00+00:00":
        fail(f"author changed to {author}")
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main\n":
        fail("main is not checked out")


def check_junk():
    tip = fixed_commit()
    if git("rev-list", "refs/heads/main", "--", JUNK).strip():
        fail(f"{JUNK} is still in main's history")
    try:
        text = open(os.path.join(REPO, JUNK)).read()
    except FileNotFoundError:
        fail(f"{JUNK} was deleted from disk")
    if f"session={P['token']}" not in text:
        fail(f"{JUNK} lost its content")
    if git("ls-files", "--error-unmatch", JUNK, ok=True) is not None:
        fail(f"{JUNK} is still tracked")


def check_ignore():
    tip = fixed_commit()
    if subprocess.run(["git", "-C", REPO, "check-ignore", "-q", JUNK], capture_output=True).returncode != 0:
        fail(f"{JUNK} is not ignored")
    committed = git("show", f"{tip}:.gitignore")
    if committed != open(os.path.join(REPO, ".gitignore")).read():
        fail(".gitignore change is not committed")
    if not committed.startswith("__pycache__/\n*.pyc\n.venv/\n"):
        fail(".gitignore lost its previous lines")


def check_content():
    tip = fixed_commit()
    changed = sorted(git("diff", "--name-only", f"{tip}^", tip).split())
    if changed != sorted([".gitignore", "CHANGELOG.md", f"{MODULE}.py"]):
        fail(f"the commit changes {changed}, want .gitignore, CHANGELOG.md, {MODULE}.py")
    if f"round(sum(amounts), {P['places']})" not in git("show", f"{tip}:{MODULE}.py"):
        fail(f"the fix in {MODULE}.py is missing")
    changelog = git("show", f"{tip}:CHANGELOG.md")
    if ENTRY not in changelog.split("\n"):
        fail("the CHANGELOG.md entry is not committed")


def check_clean():
    fixed_commit()
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main\n":
        fail("main is not checked out")
    status = git("status", "--porcelain", "--untracked-files=all")
    if status:
        fail("working tree is not clean:\n" + status)


{"history": check_history, "junk": check_junk, "ignore": check_ignore, "content": check_content,
 "clean": check_clean}[sys.argv[1]]()
