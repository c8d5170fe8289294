"""Generate seed-dependent logs for the keyword-lines task."""
import hashlib
import random

SERVICES = ["api", "auth", "billing", "search", "gateway", "worker", "mailer", "cache"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
MSGS = ["request served", "cache miss", "retrying upstream", "token refreshed", "slow query",
        "connection reset", "job queued", "job finished", "config reloaded", "rate limited"]


def _line(rng, t, extra):
    ts = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z"
    return f"{ts} {rng.choice(LEVELS)} {rng.choice(SERVICES)}: {rng.choice(MSGS)}{extra}"


def setup(rng: random.Random) -> dict:
    prefix = rng.choice(["sess", "req", "txn", "job", "trace"])
    num = rng.randint(1000, 9999)
    keyword = f"{prefix}-{num}"
    # decoys that must not count
    other = num + rng.choice([-1, 1, 10, -10])
    decoys = [f"{prefix.upper()}-{num}", f"{prefix}-{other}", f"{prefix}_{num}", f"{prefix}{num}",
              f"{prefix.capitalize()}-{num}"]
    log = f"{rng.choice(SERVICES)}-{rng.randint(10, 99)}.log"
    count = f"count_{rng.randint(100, 999)}.txt"
    lines_out = f"lines_{rng.choice(['a', 'b', 'c'])}{rng.randint(10, 99)}.txt"

    files = {}
    out = []
    t = rng.randint(0, 80000)
    n_hit = 0
    for _ in range(rng.randint(180, 320)):
        t += rng.randint(1, 40)
        r = rng.random()
        if r < 0.12:
            extra = rng.choice([f" id={keyword}", f" [{keyword}]", f" ref {keyword} done", f" id={keyword}7"])
            n_hit += 1
        elif r < 0.25:
            extra = f" id={rng.choice(decoys)}"
        else:
            extra = f" id={prefix}-{rng.randint(1000, 9999)}" if rng.random() < 0.5 else ""
            if keyword in extra:
                extra = ""
        out.append(_line(rng, t, extra))
    if n_hit == 0:
        out.insert(5, _line(rng, t, f" id={keyword}"))
    files[f"logs/{log}"] = "\n".join(out) + "\n"
    # other logs that also mention the keyword
    for i in range(2):
        name = f"{rng.choice(SERVICES)}-{rng.randint(10, 99)}.log"
        if name == log:
            continue
        files[f"logs/{name}"] = "\n".join(_line(rng, t + k, f" id={keyword}" if k % 3 == 0 else "")
                                          for k in range(rng.randint(20, 40))) + "\n"
    files[f"logs/{log}.1"] = "\n".join(_line(rng, k, f" id={keyword}") for k in range(15)) + "\n"

    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p].encode() + b"\0")
    return {
        "params": {"log": log, "keyword": keyword, "count": count, "lines": lines_out,
                   "logsum": h.hexdigest()[:20]},
        "files": files,
    }
