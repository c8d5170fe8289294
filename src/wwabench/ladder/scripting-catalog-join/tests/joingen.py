"""Catalog/orders generator shared by setup.py (the samples) and the check (fresh files)."""
import random

ADJ = "blue red steel oak brass quick tiny heavy smart round flat iron silk amber".split()
NOUN = "widget bolt lamp valve gear hinge pump clamp spring cable drill brush knob fan".split()
WORD = "rush gift repeat promo bulk retail online phone fax walkin".split()


def catalog(rng, key, name, n, extras=None):
    """(header names, rows as dicts) with n unique positive integer keys of mixed width."""
    small = rng.randint(1, min(n, 6))
    keys = rng.sample(range(1, 40), small) + rng.sample(range(40, 4000), n - small)
    rng.shuffle(keys)
    if extras is None:
        extras = rng.sample(["price", "stock", f"{key}_old", "vendor"], rng.randint(0, 3))
    cols = [key, name] + extras
    rng.shuffle(cols)
    rows = []
    for k in keys:
        row = {key: str(k), name: f"{rng.choice(ADJ)}-{rng.choice(NOUN)}"}
        for c in extras:
            row[c] = {"price": f"{rng.randint(1, 99)}.{rng.randint(0, 99):02d}", "stock": str(rng.randint(0, 500)),
                      "vendor": rng.choice(["acme", "globex", "initech", "umbrella"])}.get(c, str(rng.choice(keys)))
        rows.append(row)
    return cols, rows


def orders(rng, key, qty, cat_keys, n, unknown=0.0, extras=None):
    """(header names, rows) of n orders; a share `unknown` use keys missing from the catalog."""
    if extras is None:
        extras = rng.sample(["customer", "date", "note", f"old_{key}"], rng.randint(0, 3))
    cols = ["order_id", key, qty] + extras
    rng.shuffle(cols)
    used = rng.sample(cat_keys, max(1, len(cat_keys) * 2 // 3)) if cat_keys else []
    ids = rng.sample(range(10000, 99999), n)
    rows = []
    for oid in ids:
        if not used or rng.random() < unknown:
            k = str(rng.choice([rng.randint(1, 40), rng.randint(40, 4000)]))
            while k in cat_keys:
                k = str(int(k) + 1)
        else:
            k = rng.choice(used)
        row = {"order_id": f"o{oid}", key: k, qty: str(rng.choice([0, rng.randint(1, 9), rng.randint(1, 9), rng.randint(10, 500), rng.randint(10, 500)]))}
        for c in extras:
            row[c] = {"customer": f"c{rng.randint(100, 999)}", "note": rng.choice(WORD),
                      "date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}.get(c, str(rng.randint(1, 4000)))
        rows.append(row)
    return cols, rows


def text(cols, rows):
    return "".join(",".join(line) + "\n" for line in [cols] + [[r[c] for c in cols] for r in rows])


def expected(key, name, qty, crows, orows, miss_rc):
    names = {r[key]: r[name] for r in crows}
    cnt, tot, err = {}, {}, []
    for r in orows:
        k = r[key]
        if k in names:
            cnt[k] = cnt.get(k, 0) + 1
            tot[k] = tot.get(k, 0) + int(r[qty])
        else:
            err.append(f"unmatched order {r['order_id']}: {key} {k}\n")
    out = "".join(f"{k},{names[k]},{cnt[k]},{tot[k]}\n" for k in sorted(cnt, key=int))
    rc = miss_rc if err else 0
    err += [f"no orders: {key} {k}\n" for k in sorted(names, key=int) if k not in cnt]
    return out, "".join(err), rc
