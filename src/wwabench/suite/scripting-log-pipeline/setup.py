"""Params for the log-pipeline task (the sample log is static in workspace/)."""
import random


def setup(rng: random.Random) -> dict:
    level = rng.choice(["WARN", "ERROR"])
    script = f"{rng.choice(['logsum', 'levelcount', 'tally', 'errstat'])}-{rng.randint(10, 99)}.sh"
    return {"params": {"script": script, "level": level}}
