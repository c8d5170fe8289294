"""Hidden checks for git-split-commit-dirty. Usage: python3 /checks/check.py MODE"""

import hashlib
import os
import subprocess
import sys

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
REPO, TICKET, FUNC = P["repo"], P["ticket"], P["func"]
NBEFORE, NAFTER = int(P["nbefore"]), int(P["nafter"])
AUTHOR = f"{P['author_first']} {P['author_last']}|{P['author_first'].lower()}@example.org"
DOCS_MSG, CODE_MSG = f"{TICKET}: document {FUNC}", f"{TICKET}: add {FUNC}"


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


def split():
    """main's commits, oldest first, checked to hold the two split commits after the untouched earlier ones."""
    if git("rev-parse", "-q", "--verify", "refs/heads/main", ok=True) is None:
        fail("no branch main")
    if git("rev-list", "--merges", "refs/heads/main").strip():
        fail("main contains a merge commit")
    commits = git("rev-list", "--reverse", "refs/heads/main").split()
    subjects = [git("log", "-1", "--format=%s", c).strip() for c in commits]
    if DOCS_MSG not in subjects or CODE_MSG not in subjects:
        fail(f"main has no commits '{DOCS_MSG}' and '{CODE_MSG}' (subjects: {subjects})")
    if len(commits) != NBEFORE + 2 + NAFTER:
        fail(f"main has {len(commits)} commits, want {NBEFORE + 2 + NAFTER} (the original ones with one split in two)")
    for i, c in enumerate(commits[:NBEFORE], 1):
        if git("log", "-1", "--format=%ct|%cn", c) != f"{1717236000 + i * 3600}|Alex Maintainer\n":
            fail(f"the earlier commit {subjects[i - 1]!r} was rewritten")
    if digest(commits[NBEFORE - 1]) != P["before_digest"]:
        fail("the earlier commits were changed")
    if subjects[NBEFORE:NBEFORE + 2] != [DOCS_MSG, CODE_MSG]:
        fail(f"the commits after the earlier ones are {subjects[NBEFORE:NBEFORE + 2]}, want [{DOCS_MSG!r}, {CODE_MSG!r}]")
    return commits


def author(commit):
    return git("log", "-1", "--format=%an|%ae", commit).strip()


def check_docs():
    commit = split()[NBEFORE]
    names = git("diff", "--name-only", f"{commit}^", commit).split()
    if not names or any(not n.startswith("docs/") for n in names):
        fail(f"'{DOCS_MSG}' changes {names}, want only files under docs/")
    if digest(commit) != P["docs_digest"]:
        fail(f"'{DOCS_MSG}' does not hold exactly the docs/ changes of the original commit")
    if author(commit) != AUTHOR:
        fail(f"'{DOCS_MSG}' has author {author(commit)}, want {AUTHOR}")


def check_code():
    commit = split()[NBEFORE + 1]
    names = git("diff", "--name-only", f"{commit}^", commit).split()
    if any(n.startswith("docs/") for n in names):
        fail(f"'{CODE_MSG}' changes files under docs/: {names}")
    if digest(commit) != P["target_digest"]:
        fail(f"'{CODE_MSG}' does not end with the original commit's files (changes {names})")
    if author(commit) != AUTHOR:
        fail(f"'{CODE_MSG}' has author {author(commit)}, want {AUTHOR}")


def check_after():
    commits = split()[NBEFORE + 2:]
    want = P["after_sigs"].split("-")
    for c, sig in zip(commits, want):
        line = git("log", "-1", "--format=%s%x00%an%x00%ae", c).strip()
        got = hashlib.sha1(f"{line}\0{digest(c)}".encode()).hexdigest()[:12]
        if got != sig:
            fail(f"the later commit {line.split(chr(0))[0]!r} changed (message, author or files)")


def check_notes():
    commits = split()
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main\n":
        fail("main is not checked out")
    for name in ("rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD", "MERGE_HEAD"):
        path = git("rev-parse", "--git-path", name).strip()
        if os.path.exists(os.path.join(REPO, path)):
            fail(f"a rebase, merge or cherry-pick is still in progress ({path} exists)")
    committed = git("show", f"{commits[-1]}:NOTES.md", ok=True)
    if committed is None or git("log", "--format=%H", "refs/heads/main", "--", "NOTES.md").split() != [commits[0]]:
        fail("NOTES.md was committed again")
    try:
        with open(os.path.join(REPO, "NOTES.md")) as f:
            text = f.read()
    except OSError as e:
        fail(f"cannot read NOTES.md: {e}")
    if not text.startswith(committed) or not text[len(committed):].startswith("- TODO: "):
        fail("the uncommitted edit of NOTES.md is lost")
    status = [line for line in git("status", "--porcelain", "--untracked-files=all").splitlines()
              if line[3:] != "NOTES.md"]
    if status:
        fail("other uncommitted changes:\n" + "\n".join(status))


{"docs": check_docs, "code": check_code, "after": check_after, "notes": check_notes}[sys.argv[1]]()
