"""Seed-dependent variant: a stats package whose function name has a typo in two files."""

import random

PACKAGES = ["numstat", "tally", "metrics", "figures", "summit", "counts", "gauge", "quant"]

# good name -> (report label, body of the function over the list `values`)
FUNCS = {
    "value_range": ("range", "return max(values) - min(values)"),
    "largest_gap": ("gap", "ordered = sorted(values)\n    return max((b - a for a, b in zip(ordered, ordered[1:])), default=0)"),
    "count_above_mean": ("above", "return sum(1 for v in values if v * len(values) > sum(values))"),
    "sum_of_squares": ("squares", "return sum(v * v for v in values)"),
    "middle_value": ("middle", "ordered = sorted(values)\n    return ordered[(len(ordered) - 1) // 2]"),
    "distinct_count": ("distinct", "return len(set(values))"),
}

STATS = '''"""Small statistics over lists of integers."""


def total(values):
    return sum(values)


def average(values):
    """Mean, rounded to two decimals."""
    return round(sum(values) / len(values), 2)


def @BAD@(values):
    @BODY@
'''

REPORT = '''"""Text report of a list of integers."""

from .stats import @BAD@, average, total


def report(values):
    lines = [
        f"count: {len(values)}",
        f"total: {total(values)}",
        f"average: {average(values):.2f}",
        f"@LABEL@: {@BAD@(values)}",
    ]
    return "\\n".join(lines)
'''

MAIN = '''"""Usage: python3 -m @PKG@ N1 N2 ..."""

import sys

from .report import report

print(report([int(arg) for arg in sys.argv[1:]]))
'''


def typo(rng, name):
    """The name with two adjacent, different letters swapped."""
    spots = [i for i in range(len(name) - 1)
             if name[i].isalpha() and name[i + 1].isalpha() and name[i] != name[i + 1]]
    i = rng.choice(spots)
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def setup(rng: random.Random) -> dict:
    pkg = rng.choice(PACKAGES)
    good = rng.choice(sorted(FUNCS))
    bad = typo(rng, good)
    label, body = FUNCS[good]
    values = {"PKG": pkg, "BAD": bad, "LABEL": label, "BODY": body}

    def fill(text):
        for key, value in values.items():
            text = text.replace("@" + key + "@", value)
        return text

    return {
        "params": {"pkg": pkg, "good": good, "bad": bad},
        "files": {
            f"{pkg}/__init__.py": f'"""{pkg}: statistics of integer lists."""\n',
            f"{pkg}/stats.py": fill(STATS),
            f"{pkg}/report.py": fill(REPORT),
            f"{pkg}/__main__.py": fill(MAIN),
        },
    }
