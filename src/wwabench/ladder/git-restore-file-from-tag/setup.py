"""Seed-dependent variant: a config file changed by two commits after a release tag."""

import random

REPOS = ["switchyard", "metronome", "pinwheel", "keystone", "drydock", "tollgate"]
NAMES = ["database", "cache", "mailer", "queue", "storage", "search"]
HOSTS = ["db1", "primary", "node-a", "east", "core", "main01"]


def ini(name, host, port, pool, timeout, tls):
    return (f"# {name} settings\n[{name}]\nhost = {host}.internal\nport = {port}\npool_size = {pool}\n"
            f"timeout = {timeout}\n\n[tls]\nenabled = {tls}\n")


def other(rng, current, lo, hi):
    v = current
    while v == current:
        v = rng.randint(lo, hi)
    return v


def setup(rng: random.Random) -> dict:
    name = rng.choice(NAMES)
    host = rng.choice(HOSTS)
    port, pool, timeout = rng.randint(2000, 9999), rng.randint(2, 16), rng.choice([5, 10, 15, 30, 60])
    good = ini(name, host, port, pool, timeout, "true")
    pool2, timeout2 = other(rng, pool, 2, 64), other(rng, timeout, 3, 120)
    tuned = ini(name, host, port, pool2, timeout2, "true")
    host3 = rng.choice([h for h in HOSTS if h != host])
    moved = ini(name, host3, port, pool2, timeout2, "false")
    files = {".stage/good.ini": good, ".stage/tuned.ini": tuned, ".stage/moved.ini": moved}
    params = {"repo": rng.choice(REPOS), "name": name, "host": host3,
              "version": f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"}
    return {"params": params, "files": files}
