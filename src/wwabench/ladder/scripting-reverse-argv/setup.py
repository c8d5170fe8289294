"""Params for the reverse-argv task."""
import random


def setup(rng: random.Random) -> dict:
    base = rng.choice(["revargs", "backwards", "flipargs", "tacargs", "reversed", "lastfirst"])
    return {"params": {"script": f"{base}-{rng.randint(10, 99)}.sh"}}
