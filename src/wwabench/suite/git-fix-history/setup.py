"""Seed-dependent variant: names of the repository, module, junk file, ticket and release tag."""

import random

REPOS = ["accounts", "ledger-app", "shopfront", "timesheet", "expenses", "payouts"]
MODULES = ["invoice", "cart", "report", "payroll", "tax", "refund", "discount"]
JUNK = ["debug", "trace", "dump", "session", "profile"]
TEAMS = ["BUG", "FIX", "ISSUE", "TKT"]


def setup(rng: random.Random) -> dict:
    token = "".join(rng.choice("abcdef0123456789") for _ in range(16))
    return {"params": {
        "repo": rng.choice(REPOS),
        "module": rng.choice(MODULES),
        "junk": f"{rng.choice(JUNK)}-{rng.randint(1000, 9999)}.log",
        "ticket": f"{rng.choice(TEAMS)}-{rng.randint(100, 9999)}",
        "version": f"1.{rng.randint(2, 19)}.{rng.randint(0, 9)}",
        "places": str(rng.randint(2, 4)),
        "token": token,
    }}
