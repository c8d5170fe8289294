"""Log generator shared by setup.py (sample) and the check (fresh logs)."""
import random

LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"]
SVC_A = ["auth", "billing", "cache", "db", "edge", "feed", "gateway", "index", "mailer", "queue",
         "search", "storage", "web", "worker"]
SVC_B = ["", "", "-api", "-v2", "2", ".eu", "-worker"]
MSG = ("request served retry after ERROR: upstream timeout WARN slow disk INFO ok connection reset "
       "user login failed cache miss queue full DEBUG trace: value=7 done").split()


def services(rng, n):
    out = set()
    while len(out) < n:
        out.add(rng.choice(SVC_A) + rng.choice(SVC_B))
    return sorted(out)


def ts(rng):
    return (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z")


def good_line(rng, svcs, level=None):
    level = level or rng.choice(LEVELS)
    sep = "  " if rng.random() < 0.1 else " "
    msg = " ".join(rng.choice(MSG) for _ in range(rng.randint(1, 7)))
    return f"{ts(rng)} {level}{sep}{rng.choice(svcs)}: {msg}"


def bad_line(rng, svcs):
    s = rng.choice(svcs)
    return rng.choice([
        f"{ts(rng)} FATAL {s}: disk on fire",
        f"{ts(rng)} error {s}: lowercase level",
        f"{ts(rng)} Warn {s}: mixed case level",
        f"{ts(rng)} ERROR {s} missing colon",
        f"{ts(rng)} WARN {s}:",
        f"{ts(rng)} ERROR : no service",
        "garbage line without structure",
        f"{ts(rng)} INFO",
        f"ERROR {s}: no timestamp so fields shift",
        "#" * rng.randint(3, 12),
    ])


def make_log(rng, n, svcs, bad=0, blank=0, levels=None):
    lines = [good_line(rng, svcs, rng.choice(levels) if levels else None) for _ in range(n)]
    for _ in range(bad):
        lines.insert(rng.randint(0, len(lines)), bad_line(rng, svcs))
    for _ in range(blank):
        lines.insert(rng.randint(0, len(lines)), rng.choice(["", "   ", "\t"]))
    return "".join(line + "\n" for line in lines)


def expected(text, level):
    """(stdout, stderr, rc) of a correct script."""
    counts, warns = {}, []
    for i, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        f = line.split()
        if not f:
            continue
        if len(f) < 4 or f[1] not in LEVELS or not f[2].endswith(":") or len(f[2]) < 2:
            warns.append(f"warning: line {i} malformed\n")
            continue
        if f[1] == level:
            svc = f[2][:-1]
            counts[svc] = counts.get(svc, 0) + 1
    order = sorted(counts, key=lambda s: (-counts[s], s.encode()))
    return "".join(f"{s} {counts[s]}\n" for s in order), "".join(warns), 3 if warns else 0
