"""Seed-dependent variant: move a function up one layer of a layered package (the naive move makes an import cycle)."""

import random

PACKAGES = ["stockroom", "depot", "pantry", "storehouse", "larder", "stocklist"]
SOURCES = ["parsing", "lexing", "textproc", "fields"]
DESTS = ["records", "entries", "items", "stock"]
FNS = ["parse_record", "read_record", "record_from_line", "parse_item"]
USERS = ["parse_lines", "parse_text", "read_all", "records_from_text"]
SEPS = {"semicolon": ";", "pipe": "|", "colon": ":"}

SRC = '''"""Low-level text helpers. Layer 0 (see README.md): imports nothing from the package."""

SEP = "@SEP@"
COMMENT = "#"


def split_fields(line):
    """The SEP-separated fields of a line, stripped of surrounding blanks."""
    return [field.strip() for field in line.split(SEP)]


def parse_cents(text):
    """'12.34' -> 1234, '7' -> 700, '0.5' -> 50; ValueError for anything else."""
    whole, dot, frac = text.partition(".")
    if not whole.isdigit() or (dot and not (frac.isdigit() and len(frac) <= 2)):
        raise ValueError(f"bad price: {text!r}")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def money(cents):
    """1234 -> '12.34'."""
    return f"{cents // 100}.{cents % 100:02d}"


def is_blank_or_comment(line):
    stripped = line.strip()
    return not stripped or stripped.startswith(COMMENT)


def @FN@(line):
    """One record line CODE, QTY, PRICE -> (code, qty, cents), the code upper-cased.

    Raises ValueError when the line is not a valid record.
    """
    code, qty, price = split_fields(line)
    return (code.upper(), int(qty), parse_cents(price))


def @USER@(text):
    """The records of a text, skipping blank lines and comments."""
    return [@FN@(line) for line in text.splitlines() if not is_blank_or_comment(line)]
'''

DST = '''"""Operations on records (code, qty, cents). Layer 1 (see README.md)."""

from .@SRC@ import parse_cents


def value(record):
    code, qty, cents = record
    return qty * cents


def total_value(records):
    return sum(value(record) for record in records)


def with_price(record, price_text):
    """The record with a new unit price, given as text like '4.20'."""
    code, qty, _ = record
    return (code, qty, parse_cents(price_text))


def merge(records):
    """Records of the same code combined: quantities added, the highest price kept; sorted by code."""
    merged = {}
    for code, qty, cents in records:
        if code in merged:
            old_qty, old_cents = merged[code]
            merged[code] = (old_qty + qty, max(old_cents, cents))
        else:
            merged[code] = (qty, cents)
    return [(code, qty, cents) for code, (qty, cents) in sorted(merged.items())]
'''

REPORT = '''"""Stock reports. Layer 2 (see README.md)."""

from .@SRC@ import @FN@, @USER@, is_blank_or_comment, money
from .@DST@ import merge, total_value


def bad_lines(text):
    """Numbers (from 1) of the lines that are neither blank, comments nor valid records."""
    bad = []
    for number, line in enumerate(text.splitlines(), 1):
        if is_blank_or_comment(line):
            continue
        try:
            @FN@(line)
        except ValueError:
            bad.append(number)
    return bad


def report(text):
    records = merge(@USER@(text))
    lines = [f"{code:<10}{qty:>6} x {money(cents):>9} = {money(qty * cents):>11}" for code, qty, cents in records]
    lines.append(f"{'TOTAL':<10}{money(total_value(records)):>32}")
    return "\\n".join(lines)
'''

MAIN = '''"""Usage: python3 -m @PKG@ FILE. Layer 3 (see README.md)."""

import sys

from .report import bad_lines, report


def main(argv):
    if len(argv) != 1:
        print("usage: python3 -m @PKG@ FILE", file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        text = f.read()
    bad = bad_lines(text)
    for number in bad:
        print(f"line {number}: bad record", file=sys.stderr)
    if bad:
        return 1
    print(report(text))
    return 0


sys.exit(main(sys.argv[1:]))
'''

INIT = '''"""@PKG@: stock lists. See README.md for the layers of its modules."""

from .@SRC@ import @FN@, @USER@
from .@DST@ import merge, total_value, with_price
from .report import bad_lines, report

__all__ = ["@FN@", "@USER@", "merge", "total_value", "with_price", "bad_lines", "report"]
'''

README = '''# @PKG@

Stock lists: text files with one record per line, `CODE@SEP@QTY@SEP@PRICE`
(for example `ab12@SEP@3@SEP@4.50`). Blank lines and lines starting with `#`
are ignored.

    python3 -m @PKG@ FILE        print the stock report of FILE
    python3 -m unittest test_@PKG@

## Module layers

The modules of the package are layered, lowest first:

| layer | module        | contents                  |
|-------|---------------|---------------------------|
| 0     | `@SRC@.py`    | text helpers              |
| 1     | `@DST@.py`    | records and their operations |
| 2     | `report.py`   | reports                   |
| 3     | `__main__.py` | command line              |

Rules:

- A module may import only from modules of lower layers (so `@SRC@.py`
  imports nothing from the package). `__init__.py` may import from every
  module; no module imports `__init__.py`.
- Imports are at the top of a module: no imports inside functions or classes,
  and no `importlib` or `__import__` tricks.
- There are no other modules in the package.
'''

TESTS = '''import unittest

from @PKG@.@SRC@ import @FN@, @USER@, split_fields
from @PKG@.@DST@ import merge, total_value, with_price
from @PKG@.report import bad_lines, report


class StockTest(unittest.TestCase):
    def test_split_fields(self):
        self.assertEqual(split_fields(" a @SEP@ b "), ["a", "b"])

    def test_record(self):
        self.assertEqual(@FN@("@C1@@SEP@@Q1@@SEP@@P1@"), ("@UC1@", @Q1@, @CENTS1@))

    def test_bad_record(self):
        with self.assertRaises(ValueError):
            @FN@("x@SEP@y")

    def test_text(self):
        text = "# stock\\n\\n@C1@@SEP@@Q1@@SEP@@P1@\\n @C2@ @SEP@ @Q2@ @SEP@ @P2@\\n"
        self.assertEqual(@USER@(text), [("@UC1@", @Q1@, @CENTS1@), ("@UC2@", @Q2@, @CENTS2@)])

    def test_merge(self):
        records = [("B", 1, 100), ("A", 2, 50), ("B", 3, 120)]
        self.assertEqual(merge(records), [("A", 2, 50), ("B", 4, 120)])
        self.assertEqual(total_value(merge(records)), 580)

    def test_with_price(self):
        self.assertEqual(with_price(("A", 2, 50), "@P2@"), ("A", 2, @CENTS2@))

    def test_bad_lines(self):
        self.assertEqual(bad_lines("a@SEP@1@SEP@1.00\\nbad\\n# note\\nb@SEP@x@SEP@1.00\\n"), [2, 4])

    def test_report_total(self):
        self.assertTrue(report("a@SEP@2@SEP@1.50\\nb@SEP@1@SEP@0.25\\n").endswith(" 3.25"))


if __name__ == "__main__":
    unittest.main()
'''


def code(rng):
    return "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(2)) + str(rng.randint(1, 99))


def setup(rng: random.Random) -> dict:
    pkg = rng.choice(PACKAGES)
    src, dst = rng.choice(SOURCES), rng.choice(DESTS)
    fn, user = rng.choice(FNS), rng.choice(USERS)
    sepname = rng.choice(sorted(SEPS))
    sep = SEPS[sepname]
    c1, c2 = code(rng), code(rng)
    while c2 == c1:
        c2 = code(rng)
    cents1, cents2 = rng.randint(5, 9999), rng.randint(5, 9999)
    values = {
        "PKG": pkg, "SRC": src, "DST": dst, "FN": fn, "USER": user, "SEP": sep,
        "C1": c1, "UC1": c1.upper(), "Q1": str(rng.randint(2, 40)), "P1": f"{cents1 // 100}.{cents1 % 100:02d}",
        "CENTS1": str(cents1),
        "C2": c2, "UC2": c2.upper(), "Q2": str(rng.randint(2, 40)), "P2": f"{cents2 // 100}.{cents2 % 100:02d}",
        "CENTS2": str(cents2),
    }

    def fill(text):
        for key, value in values.items():
            text = text.replace("@" + key + "@", value)
        return text

    stock = ["# stock count"] + [
        f"{code(rng)}{sep}{rng.randint(1, 60)}{sep}{rng.randint(0, 80)}.{rng.randint(0, 99):02d}" for _ in range(6)]
    return {
        "params": {"pkg": pkg, "src": src, "dst": dst, "fn": fn, "user": user, "sepname": sepname},
        "files": {
            f"{pkg}/__init__.py": fill(INIT),
            f"{pkg}/{src}.py": fill(SRC),
            f"{pkg}/{dst}.py": fill(DST),
            f"{pkg}/report.py": fill(REPORT),
            f"{pkg}/__main__.py": fill(MAIN),
            f"test_{pkg}.py": fill(TESTS),
            "README.md": fill(README),
            "stock.txt": "\n".join(stock) + "\n",
        },
    }
