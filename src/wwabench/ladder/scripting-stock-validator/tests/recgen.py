"""Stock-record generator shared by setup.py (the sample) and the check (fresh inputs)."""
import random
import re

REASONS = ["wrong field count", "bad sku", "bad qty", "bad price", "duplicate sku"]


def reason(line, prefix, seen):
    """None for a valid record, else the first reason that applies."""
    f = line.split(",")
    if len(f) != 3:
        return "wrong field count"
    sku, qty, price = f
    if not re.fullmatch(re.escape(prefix) + r"-[0-9]{4}", sku):
        return "bad sku"
    if not re.fullmatch(r"0|[1-9][0-9]{0,3}", qty):
        return "bad qty"
    if not re.fullmatch(r"[0-9]+\.[0-9]{2}", price):
        return "bad price"
    if sku in seen:
        return "duplicate sku"
    return None


def is_sku(s, prefix):
    return re.fullmatch(re.escape(prefix) + r"-[0-9]{4}", s) is not None


def sku(rng, prefix):
    return f"{prefix}-{rng.randint(0, 9999):04d}"


def qty(rng):
    return str(rng.choice([0, rng.randint(1, 9), rng.randint(10, 999), rng.randint(1000, 9999)]))


def price(rng):
    return f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}"


def bad_line(rng, prefix, used):
    good = [u for u in used if is_sku(u, prefix)]
    s = rng.choice(good) if good and rng.random() < 0.3 else sku(rng, prefix)
    q, p = qty(rng), price(rng)
    other = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(len(prefix)))
    if other == prefix:
        other = "Q" + other[1:] if other[0] != "Q" else "Z" + other[1:]
    digits = s.split("-")[1]
    return rng.choice([
        f"{s},{q}", f"{s},{q},{p},extra", f"{s};{q};{p}", "   ", "no commas at all", f"{s} {q} {p}",
        f"{other}-{digits},{q},{p}", f"{prefix.lower()}-{digits},{q},{p}", f"{prefix}-{digits[:3]},{q},{p}",
        f"{prefix}-{digits}7,{q},{p}", f"{prefix}{digits},{q},{p}", f" {s},{q},{p}", f",{q},{p}",
        f"{s},0{q},{p}", f"{s},-{q},{p}", f"{s},{q}.5,{p}", f"{s},{rng.randint(10000, 99999)},{p}",
        f"{s},,{p}", f"{s},{q} ,{p}", f"{s},x{q},{p}",
        f"{s},{q},{p[:-1]}", f"{s},{q},{p}0", f"{s},{q},.{rng.randint(10, 99)}", f"{s},{q},{p.split('.')[0]}",
        f"{s},{q},{p} ", f"{s},{q},", f"{s},{q},{p.replace('.', '')}x",
    ])


def make(rng, prefix, n, bad=0, dup=0, skip=0, used=None):
    """Text of n valid-looking records plus bad, duplicate and skipped lines, in random order.

    `used` lists SKUs of earlier inputs (duplicates may refer to them) and is extended."""
    used = used if used is not None else []
    lines = []
    for _ in range(n):
        lines.append(f"{sku(rng, prefix)},{qty(rng)},{price(rng)}")
    for _ in range(bad):
        lines.insert(rng.randint(0, len(lines)), bad_line(rng, prefix, used + [x.split(",")[0] for x in lines]))
    for _ in range(skip):
        lines.insert(rng.randint(0, len(lines)), rng.choice(["", "", "# comment", f"#{sku(rng, prefix)},1,1.00", "#"]))
    pool = [u for u in used + [x.split(",")[0] for x in lines] if is_sku(u, prefix)]
    for _ in range(dup):
        if pool:
            dup_line = f"{rng.choice(pool)},{qty(rng)},{price(rng)}"
            lines.insert(rng.randint(len(lines) // 2, len(lines)), dup_line)
    used.extend(u for u in (x.split(",")[0] for x in lines) if is_sku(u, prefix))
    return "".join(x + "\n" for x in lines)


def expected(inputs, script, prefix, bad_rc, io_rc):
    """inputs: list of (name, text or None for unreadable) -> (stdout, stderr, rc)."""
    out, err, seen, bad, io = [], [], set(), False, False
    for name, text in inputs:
        if text is None:
            err.append(f"{script}: cannot read {name}\n")
            io = True
            continue
        for i, line in enumerate(text.split("\n")[:-1], 1):
            if line == "" or line.startswith("#"):
                continue
            r = reason(line, prefix, seen)
            if r:
                err.append(f"{name}:{i}: {r}\n")
                bad = True
            else:
                seen.add(line.split(",")[0])
                out.append(line + "\n")
    return "".join(out), "".join(err), io_rc if io else bad_rc if bad else 0
