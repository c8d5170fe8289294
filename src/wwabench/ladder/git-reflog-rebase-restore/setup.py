"""Seed-dependent variant: a feature branch that was deleted (after an amend), a deleted
spike branch with a similar name, and a main that moved on and conflicts in NEWS.md.

The params carry digests of main's tree and of the tree the rebased branch must have.
"""

import hashlib
import random

REPOS = ["shelfie", "notebag", "tidy-cli", "packrat", "logpile", "clipkeep"]
FEATURES = ["export", "search", "archive", "import", "filter", "share", "backup", "tagging"]
SUFFIXES = ["command", "support", "cli", "tool"]
TEAMS = ["CLI", "APP", "TOOL", "DEV"]


def blob_id(text):
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def digest(files):
    return hashlib.sha1("".join(f"{p}\0{blob_id(t)}\n" for p, t in sorted(files.items())).encode()).hexdigest()


def setup(rng: random.Random) -> dict:
    repo, feature = rng.choice(REPOS), rng.choice(FEATURES)
    branch = f"{feature}-{rng.choice(SUFFIXES)}"
    team = rng.choice(TEAMS)
    tickets = [f"{team}-{n}" for n in rng.sample(range(100, 999), 4)]
    token = "".join(rng.choice("0123456789abcdef") for _ in range(12))
    spike_token = "".join(rng.choice("0123456789abcdef") for _ in range(12))
    items = [rng.choice([0, 0, 1, 2, 3, 5, 8, 13]) for _ in range(rng.randint(5, 8))]
    answer = sum(1 for i in items if i)
    wrong = answer + rng.choice([-1, 1, 2]) if answer > 1 else answer + 1

    readme1 = f"# {repo}\n\nA small command line tool.\n"
    readme2 = readme1 + "\n## Setup\n\n    python3 app.py --help\n"
    app = "import config\n\n\ndef main():\n    print(config.load())\n"
    config1 = f'def load(path="~/.{repo}.toml"):\n    return {{"path": path}}\n'
    config2 = f'import os\n\n\ndef load(path="~/.{repo}.toml"):\n    return {{"path": os.path.expanduser(path)}}\n'
    news0 = f"# News\n\n## Unreleased\n\n- First version ({tickets[0]})\n"
    news1 = news0 + f"- Expand ~ in the config path ({tickets[1]})\n"
    news2 = news1 + f"- Document the setup ({tickets[2]})\n"
    news_branch = news0 + f"- Add the {feature} command ({tickets[3]})\n"
    feature_py = (f'"""The {feature} command."""\n\nTOKEN = "{token}"\n\n\n'
                  f"def run(items):\n    return [item for item in items if item]\n")
    spike_py = (f'"""Spike: {feature} prototype, do not merge."""\n\nTOKEN = "{spike_token}"\n\n\n'
                f"def run(items):\n    return list(items)\n")
    test = (f"import {feature}\n\nEXPECTED = {{n}}\n\n\n"
            f"def test_run():\n    assert len({feature}.run({items!r})) == EXPECTED\n")
    main_tip = {"README.md": readme2, "app.py": app, "config.py": config2, "NEWS.md": news2}
    want = dict(main_tip, **{f"{feature}.py": feature_py, f"test_{feature}.py": test.format(n=answer),
                             "NEWS.md": news2 + f"- Add the {feature} command ({tickets[3]})\n"})
    files = {
        ".stage/README-1.md": readme1, ".stage/README-2.md": readme2, ".stage/app.py": app,
        ".stage/config-1.py": config1, ".stage/config-2.py": config2,
        ".stage/NEWS-0.md": news0, ".stage/NEWS-1.md": news1, ".stage/NEWS-2.md": news2,
        ".stage/NEWS-branch.md": news_branch, ".stage/feature.py": feature_py, ".stage/spike.py": spike_py,
        ".stage/test-wrong.py": test.format(n=wrong), ".stage/test-right.py": test.format(n=answer),
    }
    params = {"repo": repo, "feature": feature, "branch": branch, "ticket": tickets[3],
              "main_digest": digest(main_tip), "want_digest": digest(want)}
    return {"params": params, "files": files}
