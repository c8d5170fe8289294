"""CSV generator shared by setup.py (the sample) and the check (fresh files)."""
import random

POOLS = {
    "city": "oslo lima cairo quito riga delhi perth tokyo dakar sofia bern accra hanoi kyiv minsk".split(),
    "color": "red green blue amber teal olive coral ivory navy plum rust sand slate".split(),
    "fruit": "apple pear plum fig kiwi lime mango peach grape melon lemon cherry guava".split(),
    "status": "open closed pending failed queued held done retry stale new".split(),
    "team": "alpha bravo delta falcon hawk lynx orca puma raven tiger viper wolf".split(),
    "browser": "firefox chrome safari edge opera vivaldi brave lynx links w3m".split(),
    "region": "north south east west central coastal alpine delta valley".split(),
}


def header(rng, col, n, ncols):
    """Column names: id first, `col` at 1-based position n, others random."""
    others = [c for c in POOLS if c != col]
    rng.shuffle(others)
    names = ["id"] + others[: ncols - 2]
    names.insert(n - 1, col)
    return names


def make(rng, names, col, counts):
    """Rows whose `col` value v occurs counts[v] times, in random order."""
    vals = [v for v, c in counts.items() for _ in range(c)]
    rng.shuffle(vals)
    lines = [",".join(names)]
    for i, v in enumerate(vals, 1):
        row = []
        for name in names:
            if name == "id":
                row.append(str(1000 + i))
            elif name == col:
                row.append(v)
            else:
                row.append(rng.choice(POOLS[name]))
        lines.append(",".join(row))
    return "".join(x + "\n" for x in lines)


def distinct_counts(rng, values, m):
    vals = rng.sample(values, m)
    return dict(zip(vals, rng.sample(range(1, 25), m)))


def top(counts, k):
    order = sorted(counts, key=lambda v: (-counts[v], v.encode()))
    return "".join(v + "\n" for v in order[:k])
