"""Params for the heredoc generator task."""
import random


def setup(rng: random.Random) -> dict:
    return {"params": {
        "script": f"{rng.choice(['newsvc', 'mkservice', 'scaffold', 'gensvc'])}-{rng.randint(10, 99)}.sh",
        "root": rng.choice(["services", "units", "apps", "stacks", "daemons"]),
        "section": rng.choice(["service", "server", "daemon", "app", "unit"]),
        "envvar": rng.choice(["LOG_ROOT", "DATA_HOME", "STATE_DIR", "VAR_BASE", "SPOOL_DIR"]),
    }}
