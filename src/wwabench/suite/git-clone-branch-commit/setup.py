"""Seed-dependent variant: names of the clone, branch, ticket and the setting to change."""

import random

DIRS = ["service", "svc-work", "checkout", "gateway", "relay", "worker-svc", "api-local"]
TEAMS = ["OPS", "INFRA", "SRE", "PLAT", "NET"]
KEYS = ["port", "workers", "timeout", "retries"]


def setup(rng: random.Random) -> dict:
    base = {
        "port": rng.choice([8000, 8080, 8443, 9000, 5000]),
        "workers": rng.randint(3, 8),
        "timeout": rng.choice([15, 20, 30, 45, 60]),
        "retries": rng.randint(2, 5),
    }
    key = rng.choice(KEYS)
    value = base[key]
    while value == base[key]:
        value = {"port": rng.randint(3000, 9999), "workers": rng.randint(2, 32),
                 "timeout": rng.randint(5, 300), "retries": rng.randint(0, 9)}[key]
    team = rng.choice(TEAMS)
    number = rng.randint(100, 9999)
    params = {
        "dir": rng.choice(DIRS),
        "branch": f"{team.lower()}-{number}-{key}",
        "ticket": f"{team}-{number}",
        "key": key,
        "value": str(value),
    }
    params.update({"base_" + k: str(v) for k, v in base.items()})
    return {"params": params}
