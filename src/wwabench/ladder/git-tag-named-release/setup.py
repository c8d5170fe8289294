"""Seed-dependent variant: a history with several version bumps; one is to be tagged."""

import random

REPOS = ["parcel", "beacon", "ledger", "quill", "harbor", "sprocket", "lantern"]
BUMPS = ["Bump version to {v}", "Prepare release {v}", "Set version {v}", "Version {v}", "Release {v}"]
CHANGES = ["Add --verbose flag", "Handle empty input files", "Refactor config loading", "Fix typo in README",
           "Log request timing", "Support UTF-8 file names", "Retry failed uploads", "Drop unused import",
           "Speed up the parser", "Add --dry-run option", "Validate port numbers", "Improve error messages"]


def versions(rng):
    major, minor, patch = rng.randint(1, 6), rng.randint(0, 9), 0
    out = [(major, minor, patch)]
    while len(out) < 4:
        if rng.random() < 0.5:
            patch += rng.randint(1, 3)
        else:
            minor, patch = minor + 1, 0
        out.append((major, minor, patch))
    return [".".join(map(str, v)) for v in out]


def setup(rng: random.Random) -> dict:
    vs = versions(rng)
    while any(a != b and a in b for a in vs for b in vs):
        vs = versions(rng)
    changes = rng.sample(CHANGES, 6)
    # c1 initial, then bump v1 (tagged), then changes and bumps; the last commit is a change
    plan = [("Initial commit", None), (rng.choice(BUMPS).format(v=vs[0]), vs[0])]
    ci = 0
    for v in vs[1:]:
        for _ in range(rng.randint(1, 2) if ci < 4 else 1):
            plan.append((changes[ci], None))
            ci += 1
        plan.append((rng.choice(BUMPS).format(v=v), v))
    plan.append((changes[ci], None))
    target = rng.choice(vs[1:])
    repo = rng.choice(REPOS)
    files = {}
    app = f'"""The {repo} command line tool."""\n\n\ndef main():\n    print("{repo}")\n'
    for i, (msg, v) in enumerate(plan, 1):
        d = f".stage/{i:02d}"
        files[f"{d}/msg"] = msg + "\n"
        if i == 1:
            files[f"{d}/files/README.md"] = f"# {repo}\n\nA small command line tool.\n"
            files[f"{d}/files/app.py"] = app
        elif v is not None:
            files[f"{d}/files/VERSION"] = v + "\n"
        else:
            app += f"\n# {msg}\n"
            files[f"{d}/files/app.py"] = app
    params = {"repo": repo, "version": target, "first": vs[0], "ncommits": str(len(plan))}
    return {"params": params, "files": files}
