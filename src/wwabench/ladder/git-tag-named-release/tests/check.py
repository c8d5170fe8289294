"""Hidden checks for git-tag-named-release. Usage: python3 /checks/check.py MODE"""

import os
import subprocess
import sys

REPO, VERSION, FIRST = os.environ["WWA_REPO"], os.environ["WWA_VERSION"], os.environ["WWA_FIRST"]
NCOMMITS = int(os.environ["WWA_NCOMMITS"])
TAG = f"v{VERSION}"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def git(*args, ok=False):
    r = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 and not ok:
        fail(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip() if r.returncode == 0 else None


def target():
    """The one commit of the original history whose subject names VERSION."""
    hits = [line.split(" ", 1)[0] for line in git("log", "--format=%H %s", "refs/heads/main").splitlines()
            if VERSION in line.split(" ", 1)[1]]
    if len(hits) != 1:
        fail(f"main has {len(hits)} commits naming {VERSION}, want 1 (main was changed)")
    return hits[0]


def tag_commit():
    sha = git("rev-parse", "-q", "--verify", f"refs/tags/{TAG}^{{commit}}", ok=True)
    if not sha:
        fail(f"no tag {TAG}")
    return sha


def check_target():
    sha = tag_commit()
    want = target()
    if sha != want:
        fail(f"{TAG} points at {sha[:10]} ({git('log', '-1', '--format=%s', sha)!r}), not at {want[:10]}")


def check_annotated():
    tag_commit()
    if git("cat-file", "-t", f"refs/tags/{TAG}") != "tag":
        fail(f"{TAG} is a lightweight tag, not an annotated one")
    msg = git("for-each-ref", "--format=%(contents)", f"refs/tags/{TAG}")
    if msg != f"Release {VERSION}":
        fail(f"tag message is {msg!r}, want 'Release {VERSION}'")


def check_untouched():
    tag_commit()
    tags = sorted(git("tag", "-l").split())
    if tags != sorted([TAG, f"v{FIRST}"]):
        fail(f"tags are {tags}, want only v{FIRST} and {TAG}")
    if git("rev-list", "--count", "refs/heads/main") != str(NCOMMITS) or \
            git("log", "-1", "--format=%ct|%cn", "refs/heads/main") != f"{1717236000 + NCOMMITS * 3600}|Morgan Release":
        fail("main was moved or rewritten")
    first = git("rev-parse", "-q", "--verify", f"refs/tags/v{FIRST}^{{commit}}", ok=True)
    if not first or git("rev-list", "--count", first) != "2" or FIRST not in git("log", "-1", "--format=%s", first):
        fail(f"tag v{FIRST} was moved or deleted")
    if git("symbolic-ref", "-q", "HEAD", ok=True) != "refs/heads/main":
        fail("main is not checked out")
    heads = git("for-each-ref", "--format=%(refname:short)", "refs/heads").split()
    if heads != ["main"]:
        fail(f"branches are {heads}, want only main")


{"target": check_target, "annotated": check_annotated, "untouched": check_untouched}[sys.argv[1]]()
