"""Seed-dependent variant: a repository whose main and feature branch both change requirements.txt."""

import random

REPOS = ["webshop", "datafeed", "notifier", "scheduler", "reporter", "tracker"]
FEATURES = ["export", "search", "billing", "alerts", "metrics", "caching", "uploads", "auth"]
PACKAGES = ["attrs", "certifi", "click", "flask", "httpx", "idna", "jinja", "markdown", "numpy", "pandas",
            "pydantic", "pytest", "pyyaml", "requests", "rich", "sqlalchemy", "tomli", "urllib", "werkzeug"]


def version(rng):
    return (rng.randint(0, 4), rng.randint(0, 15), rng.randint(0, 12))


def text(pins):
    return "".join(f"{name}=={'.'.join(map(str, pins[name]))}\n" for name in sorted(pins))


def setup(rng: random.Random) -> dict:
    names = rng.sample(PACKAGES, 9)
    base = {name: version(rng) for name in names[:7]}
    bumped = rng.choice(names[:7])
    major, minor, patch = base[bumped]
    # both sides bump the same package to different versions; sometimes the higher one is
    # only higher numerically (1.10.0 > 1.9.4), not as text
    low = (major, rng.randint(minor + 1, minor + 8), rng.randint(0, 9))
    high = (major, low[1] + rng.choice([1, 2]), rng.randint(0, 9)) if rng.random() < 0.5 \
        else (major, 10 if low[1] < 10 else low[1] + 1, rng.randint(0, 9))
    if rng.random() < 0.5:
        main_v, branch_v = low, high
    else:
        main_v, branch_v = high, low
    main = dict(base, **{bumped: main_v, names[7]: version(rng)})
    branch = dict(base, **{bumped: branch_v, names[8]: version(rng)})
    # one more package changed on the branch only
    other = rng.choice([n for n in names[:7] if n != bumped])
    branch[other] = (base[other][0] + 1, 0, rng.randint(0, 5))
    feature = rng.choice(FEATURES)
    feature_py = (f'"""The {feature} feature."""\n\n\n'
                  f"def {feature}_enabled(config):\n"
                  f"    return config.get(\"{feature}\", {rng.choice(['True', 'False'])})\n")
    files = {
        ".stage/req-base.txt": text(base),
        ".stage/req-main.txt": text(main),
        ".stage/req-branch.txt": text(branch),
        ".stage/feature.py": feature_py,
    }
    repo = rng.choice(REPOS)
    params = {"repo": repo, "branch": f"{feature}-support", "feature": feature}
    return {"params": params, "files": files}
