"""Seed-dependent variant: a module and a notes file both changed; one is to be committed."""

import random

REPOS = ["tally", "courier", "mosaic", "pylon", "orchard", "sextant", "wicket"]
MODULES = ["limits", "quota", "retry", "buffer", "cache", "batch", "window"]
NOTES = ["NOTES.md", "TODO.md", "CHANGELOG.md", "HISTORY.md"]
TEAMS = ["CORE", "OPS", "DEV", "APP", "SYS"]
WORDS = ["alpha", "bravo", "cobalt", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper"]
CONSTS = ["MAX_ITEMS", "LIMIT", "CAPACITY", "MAX_SIZE", "THRESHOLD"]


def setup(rng: random.Random) -> dict:
    mod, notes, const = rng.choice(MODULES), rng.choice(NOTES), rng.choice(CONSTS)
    old = rng.randint(10, 99)
    new = old
    while new == old:
        new = rng.randint(10, 199)
    word = f"{rng.choice(WORDS)}-{rng.randint(100, 999)}"
    files = {
        ".stage/mod-old.py": f'"""{mod.capitalize()} settings."""\n\n{const} = {old}\n\n\n'
                             f"def allowed(n):\n    return n <= {const}\n",
        ".stage/notes-old.md": f"# {notes[:-3].capitalize()}\n\n- set up the {mod} module\n",
    }
    files[".stage/mod-new.py"] = files[".stage/mod-old.py"].replace(f"{const} = {old}", f"{const} = {new}")
    files[".stage/notes-new.md"] = files[".stage/notes-old.md"] + f"- check the {word} rollout\n"
    py = f"{mod}.py"
    target, other = (py, notes) if rng.random() < 0.5 else (notes, py)
    params = {"repo": rng.choice(REPOS), "module": mod, "notes": notes, "const": const, "old": str(old),
              "new": str(new), "word": word, "target": target, "other": other,
              "ticket": f"{rng.choice(TEAMS)}-{rng.randint(100, 9999)}"}
    return {"params": params, "files": files}
