"""Seed-dependent variant: a commit in the middle of main mixes code and docs/ changes and
is to be split in two; NOTES.md has an uncommitted edit that must survive.

The history is built here as full snapshots (.stage/NN: msg, author, files/). The params
carry digests of the trees the split commits must have and a signature of each later
commit (subject, author, tree digest), for the checks.
"""

import hashlib
import random

REPOS = ["unitconv", "textkit", "datelib", "geomtools", "colorlab", "mathbits"]
MODS = {
    "strings": [("slugify", "text.lower().replace(' ', '-')"), ("shout", "text.upper() + '!'"),
                ("initials", "''.join(w[0] for w in text.split())")],
    "numbers": [("clamp01", "max(0.0, min(1.0, x))"), ("double", "x * 2"), ("halve", "x / 2")],
    "paths": [("stem", "name.rsplit('.', 1)[0]"), ("suffix", "name.rsplit('.', 1)[-1]"),
              ("is_hidden", "name.startswith('.')")],
}
FIRST = ["Dana", "Noor", "Ilya", "Maren", "Tomas", "Yuki", "Ines", "Kofi"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad"]
TEAMS = ["LIB", "CORE", "UTIL", "PKG"]
NOTES = ["benchmark the new helpers", "ask about the release date", "rename the docs folder",
         "check Python 3.8 support", "add type hints"]


def blob_id(text):
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def digest(files):
    return hashlib.sha1("".join(f"{p}\0{blob_id(t)}\n" for p, t in sorted(files.items())).encode()).hexdigest()


def func(name, body):
    arg = "text" if "text" in body else "name" if "name" in body else "x"
    return f"def {name}({arg}):\n    return {body}\n"


def setup(rng: random.Random) -> dict:
    repo = rng.choice(REPOS)
    mod = rng.choice(list(MODS))
    (f1, b1), (f2, b2), (f3, b3) = rng.sample(MODS[mod], 3)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    author = (f"{first} {last}", f"{first.lower()}@example.org")
    maint = ("Alex Maintainer", "alex@example.org")
    other = ("Sam Helper", "sam@example.org")
    ticket = f"{rng.choice(TEAMS)}-{rng.randint(100, 9999)}"
    note = rng.choice(NOTES)
    version = [rng.randint(0, 3), rng.randint(1, 9), 0]

    state = {
        "README.md": f"# {repo}\n\nSmall {mod} helpers.\n",
        f"lib/{mod}.py": f'"""{mod.capitalize()} helpers."""\n\n\n' + func(f1, b1),
        "docs/index.md": f"# Documentaton\n\n- [Overview](../README.md)\n",
        "NOTES.md": f"# Notes\n\n- keep {mod} dependency-free\n",
        "VERSION": ".".join(map(str, version)) + "\n",
    }
    snaps = [("Initial commit", maint, dict(state))]
    state[f"tests/test_{mod}.py"] = f"from lib.{mod} import {f1}\n\n\ndef test_{f1}():\n    assert {f1} is not None\n"
    snaps.append((f"Add tests for {f1}", maint, dict(state)))
    if rng.random() < 0.5:
        state["README.md"] += "\nSee docs/index.md for the documentation.\n"
        snaps.append(("Point README to the docs", maint, dict(state)))
    nbefore = len(snaps)
    before = dict(state)
    # the mixed commit
    docs = dict(state)
    docs[f"docs/{mod}.md"] = f"# {mod}\n\n## {f2}\n\n`{f2}(...)` returns `{b2}`.\n"
    docs["docs/index.md"] = state["docs/index.md"] + f"- [{mod}]({mod}.md)\n"
    state.update(docs)
    state[f"lib/{mod}.py"] += "\n\n" + func(f2, b2)
    state[f"tests/test_{mod}.py"] = state[f"tests/test_{mod}.py"].replace(
        f"import {f1}\n", f"import {f1}, {f2}\n") + f"\n\ndef test_{f2}():\n    assert {f2} is not None\n"
    snaps.append((f"{ticket}: add {f2}", author, dict(state)))
    target = dict(state)

    def typo():
        state["docs/index.md"] = state["docs/index.md"].replace("Documentaton", "Documentation")
        return "Fix typo in docs index", maint

    def bump():
        version[1] += 1
        state["VERSION"] = ".".join(map(str, version)) + "\n"
        return f"Bump version to {'.'.join(map(str, version))}", maint

    def helper():
        state[f"lib/{mod}.py"] += "\n\n" + func(f3, b3)
        return f"Add {f3}", other

    later = [typo, bump, helper]
    rng.shuffle(later)
    later = later[:rng.randint(2, 3)]
    sigs = []
    for fn in later:
        msg, who = fn()
        snaps.append((msg, who, dict(state)))
        sigs.append(hashlib.sha1(f"{msg}\0{who[0]}\0{who[1]}\0{digest(state)}".encode()).hexdigest()[:12])

    files = {}
    for i, (msg, who, snap) in enumerate(snaps, 1):
        files[f".stage/{i:02d}/msg"] = msg + "\n"
        files[f".stage/{i:02d}/author"] = f"{who[0]}\n{who[1]}\n"
        for path, text in snap.items():
            files[f".stage/{i:02d}/files/{path}"] = text
    files[".stage/notes-edit.md"] = state["NOTES.md"] + f"- TODO: {note}\n"
    params = {
        "repo": repo, "module": mod, "func": f2, "ticket": ticket,
        "author_first": first, "author_last": last,
        "nbefore": str(nbefore), "nafter": str(len(later)),
        "before_digest": digest(before), "docs_digest": digest(docs), "target_digest": digest(target),
        "after_sigs": "-".join(sigs),
    }
    return {"params": params, "files": files}
