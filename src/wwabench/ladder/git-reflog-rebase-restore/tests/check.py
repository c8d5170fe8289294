"""Hidden checks for git-reflog-rebase-restore. Usage: python3 /checks/check.py MODE"""

import hashlib
import os
import subprocess
import sys

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
REPO, BRANCH, F = P["repo"], P["branch"], P["feature"]
SUBJECTS = [f"Add {F} module", f"Add {F} to NEWS", f"Add tests for {F}"]
ENTRY = f"- Add the {F} command ({P['ticket']})\n"


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


def main_tip():
    """main, checked to be unchanged: its four commits, last one 'Document the setup'."""
    tip = (git("rev-parse", "-q", "--verify", "refs/heads/main", ok=True) or "").strip()
    if not tip or git("rev-list", "--count", tip) != "4\n" or digest(tip) != P["main_digest"] \
            or git("log", "-1", "--format=%s|%cn", tip) != "Document the setup|Casey Lead\n":
        fail("main was changed")
    return tip


def shaped():
    """The branch tip, checked to exist with three commits (no merges) that main lacks."""
    main_tip()
    tip = (git("rev-parse", "-q", "--verify", f"refs/heads/{BRANCH}", ok=True) or "").strip()
    if not tip:
        fail(f"no branch {BRANCH}")
    log = git("log", "--reverse", "--format=%P|%s|%an", f"refs/heads/main..{tip}").splitlines()
    if len(log) != 3:
        fail(f"{BRANCH} has {len(log)} commits that main lacks, want 3")
    if any(len(line.split("|")[0].split()) != 1 for line in log):
        fail(f"{BRANCH} contains a merge commit")
    return tip, [line.split("|", 1)[1] for line in log]


def recovered():
    """The branch tip, checked to carry the three commits of its last state, in order."""
    tip, got = shaped()
    want = [f"{s}|Riley Dev" for s in SUBJECTS]
    if got != want:
        fail(f"commits on {BRANCH} not on main: {got}, want {want}")
    return tip


def rebased():
    tip, _ = shaped()
    first = git("rev-list", "--reverse", f"refs/heads/main..{tip}").split()[0]
    if git("log", "-1", "--format=%P", first).strip() != main_tip():
        fail(f"{BRANCH} is not rebased onto main's tip")
    return tip


def check_recovered():
    recovered()


def check_news():
    tip = rebased()
    want = git("show", "refs/heads/main:NEWS.md") + ENTRY
    got = git("show", f"{tip}:NEWS.md")
    if got != want:
        fail(f"NEWS.md on {BRANCH} is:\n{got}\nwant:\n{want}")


def check_files():
    tip = rebased()
    if digest(tip) != P["want_digest"]:
        diff = git("diff", "--stat", "refs/heads/main", tip).strip()
        fail(f"{BRANCH}'s files are not main's plus the branch's last versions; it changes:\n{diff}")


def check_state():
    shaped()
    if git("symbolic-ref", "-q", "HEAD", ok=True) != f"refs/heads/{BRANCH}\n":
        fail(f"{BRANCH} is not checked out")
    for name in ("rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD", "MERGE_HEAD"):
        path = git("rev-parse", "--git-path", name).strip()
        if os.path.exists(os.path.join(REPO, path)):
            fail(f"a rebase, merge or cherry-pick is still in progress ({path} exists)")
    status = git("status", "--porcelain", "--untracked-files=all")
    if status:
        fail("working tree is not clean:\n" + status)


{"recovered": check_recovered, "news": check_news, "files": check_files, "state": check_state}[sys.argv[1]]()
