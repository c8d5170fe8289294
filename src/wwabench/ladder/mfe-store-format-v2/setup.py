"""Seed-dependent variant: switch a store format (Python writer and reader, a sourced shell report, tests, data) to v2."""

import random

PACKAGES = ["spendlog", "payday", "kitty", "purse", "budgie", "tabby"]
STORES = ["spending.txt", "ledger.db", "outlays.log", "purchases.txt", "expenses.dat"]
SCRIPTS = ["top", "biggest", "spenders", "leaders"]
USERS = ["ann", "bo", "carla m", "dev", "eli", "fred k", "gita", "hal", "ines", "jo b"]


def store_records(dseed):
    """The records of data/STORE: the check rebuilds them from the same seed."""
    rng = random.Random(dseed)
    records = []
    for _ in range(rng.randint(8, 14)):
        date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        cents = rng.choice([rng.randint(1, 99999), rng.randint(1, 2000), -rng.randint(1, 999), rng.randint(0, 99)])
        records.append((date, rng.choice(USERS), cents))
    records.insert(rng.randint(0, len(records)), ("2024-06-15", rng.choice(USERS), rng.choice([29, 57, 115, 1003, 1606])))
    return records


def fmt(cents):
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


MONEY = '''"""Amounts: text with two decimals <-> integer cents."""

import re

AMOUNT = re.compile(r"-?[0-9]+\\.[0-9][0-9]")


def to_cents(text):
    """'12.50' -> 1250, '-0.05' -> -5; ValueError for anything else."""
    if not AMOUNT.fullmatch(text):
        raise ValueError(f"bad amount: {text!r}")
    sign = -1 if text.startswith("-") else 1
    whole, frac = text.lstrip("-").split(".")
    return sign * (int(whole) * 100 + int(frac))


def fmt(cents):
    """1250 -> '12.50', -5 -> '-0.05'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
'''

WRITER = '''"""Add records to a store. The format is described in FORMAT.md."""

from .money import fmt


def append(path, date, user, cents):
    """Add the record (date, user, cents) at the end of the store at path."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{user}|{fmt(cents)}|{date}\\n")
'''

READER = '''"""Read a store. The format is described in FORMAT.md."""

import os

from .money import to_cents


class StoreError(Exception):
    """The file is not a valid store."""


def load(path):
    """The records of the store at path, as (date, user, cents) tuples, in file order."""
    if not os.path.exists(path):
        return []
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\\n")
            if not line.strip():
                continue
            try:
                user, amount, date = line.split("|")
                records.append((date, user, to_cents(amount)))
            except ValueError:
                raise StoreError(f"{path} line {number}: bad record") from None
    return records
'''

MAIN = '''"""Usage:
  python3 -m @PKG@ add STORE DATE USER AMOUNT
  python3 -m @PKG@ totals STORE
  python3 -m @PKG@ month STORE YYYY-MM
"""

import re
import sys

from .money import fmt, to_cents
from .reader import StoreError, load
from .writer import append

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def main(argv):
    try:
        if len(argv) == 5 and argv[0] == "add":
            _, store, date, user, amount = argv
            if not DATE.fullmatch(date):
                raise StoreError(f"bad date: {date}")
            if not user or "|" in user or "\\n" in user:
                raise StoreError(f"bad user: {user!r}")
            append(store, date, user, to_cents(amount))
        elif len(argv) == 2 and argv[0] == "totals":
            totals = {}
            for _, user, cents in load(argv[1]):
                totals[user] = totals.get(user, 0) + cents
            for user in sorted(totals):
                print(f"{user}: {fmt(totals[user])}")
        elif len(argv) == 3 and argv[0] == "month":
            print(fmt(sum(cents for date, _, cents in load(argv[1]) if date.startswith(argv[2] + "-"))))
        else:
            print(__doc__.strip(), file=sys.stderr)
            return 2
    except (StoreError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


sys.exit(main(sys.argv[1:]))
'''

LIB = '''# Helpers of the @PKG@ shell scripts. Source it, don't run it.
# The store format is described in FORMAT.md.

# store_lines STORE: the record lines of STORE (none if it does not exist).
store_lines() {
    [ -f "$1" ] || return 0
    grep -v '^[[:space:]]*$' "$1" || true
}

# to_cents AMOUNT: 12.50 -> 1250, -0.05 -> -5
to_cents() {
    local a=$1 sign=
    if [[ $a == -* ]]; then sign=-; a=${a#-}; fi
    echo "$sign$(( 10#${a%.*} * 100 + 10#${a#*.} ))"
}

# fmt_cents CENTS: 1250 -> 12.50, -5 -> -0.05
fmt_cents() {
    local c=$1 sign=
    if (( c < 0 )); then sign=-; c=$(( -c )); fi
    printf '%s%d.%02d\\n' "$sign" $(( c / 100 )) $(( c % 100 ))
}
'''

SCRIPT = '''#!/usr/bin/env bash
# Usage: @SCRIPT@.sh STORE [N]
# The N (default 3) users with the highest totals, highest first (ties by name),
# one per line: USER<TAB>TOTAL
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 STORE [N]" >&2
    exit 2
fi
n=${2:-3}
declare -A total=()
while IFS='|' read -r user amount date; do
    total[$user]=$(( ${total[$user]:-0} + $(to_cents "$amount") ))
done < <(store_lines "$1")
for user in "${!total[@]}"; do
    printf '%s\\t%s\\n' "${total[$user]}" "$user"
done | LC_ALL=C sort -t "$(printf '\\t')" -k1,1nr -k2,2 | head -n "$n" |
while IFS="$(printf '\\t')" read -r cents user; do
    printf '%s\\t%s\\n' "$user" "$(fmt_cents "$cents")"
done
'''

FORMAT = '''# @PKG@ store format

## Version 2 (current)

A store is a UTF-8 text file.

- Line 1 is the header, exactly `# @PKG@ store v2`.
- Every other line is one record, `DATE<TAB>USER<TAB>CENTS` (fields separated
  by one tab character each), where
  - DATE is `YYYY-MM-DD`;
  - USER is the user's name as given; it may contain spaces and any other
    character except tab and newline (unlike version 1, it may contain `|`);
  - CENTS is the amount as a whole number of cents: digits only, with a
    leading `-` for refunds, no `+`, no leading zeros and no decimal point.
    `12.50` is `1250`, `-0.05` is `-5`, `0.00` is `0`.
- Records are in the order they were added. Every line, the last one
  included, ends with a newline. There are no blank lines.
- A store that does not exist, or is empty (0 bytes), has no records. Adding
  a record to such a store writes the header first.
- Readers refuse a non-empty file whose first line is not the header: the
  Python commands and the shell scripts then print
  `error: FILE is not a @PKG@ v2 store` (FILE as given on the command line)
  on stderr, print nothing on stdout, and exit with status 2. In Python,
  `reader.load` raises `StoreError` with the message `FILE is not a @PKG@ v2 store`.

## Version 1 (retired)

No header. One record per line, `USER|AMOUNT|DATE`, with AMOUNT in units
with two decimals (`12.50`, `-0.05`). USER cannot contain `|`.
'''

README = '''# @PKG@

Who spent what. The records live in a store file, `data/@STORE@`; its format
is described in FORMAT.md.

    python3 -m @PKG@ add STORE DATE USER AMOUNT   add a record (AMOUNT like 12.50 or -0.05)
    python3 -m @PKG@ totals STORE                 total per user, "USER: TOTAL", users sorted
    python3 -m @PKG@ month STORE YYYY-MM          total of the records of one month
    bin/@SCRIPT@.sh STORE [N]                      the N (default 3) biggest spenders, "USER<TAB>TOTAL"
    python3 -m unittest test_@PKG@                the unit tests

Totals are printed like amounts: `12.50`, `-0.05`, `0.00`. Errors are printed
as `error: MESSAGE` on stderr, with exit status 2.
'''

TESTS = '''import os
import shutil
import tempfile
import unittest

from @PKG@.money import fmt, to_cents
from @PKG@.reader import StoreError, load
from @PKG@.writer import append

FIXTURE = "@U1@|@A1@|@D1@\\n@U2@|@A2@|@D2@\\n"


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "store")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, text):
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(text)

    def read(self):
        with open(self.path, encoding="utf-8") as f:
            return f.read()

    def test_money(self):
        self.assertEqual(to_cents("@A1@"), @C1@)
        self.assertEqual(to_cents("-0.05"), -5)
        self.assertEqual(fmt(-5), "-0.05")

    def test_load(self):
        self.write(FIXTURE)
        self.assertEqual(load(self.path), [("@D1@", "@U1@", @C1@), ("@D2@", "@U2@", @C2@)])

    def test_missing_store(self):
        self.assertEqual(load(self.path), [])

    def test_append_format(self):
        append(self.path, "@D1@", "@U1@", @C1@)
        append(self.path, "@D2@", "@U2@", @C2@)
        self.assertEqual(self.read(), FIXTURE)

    def test_round_trip(self):
        records = [("2024-02-29", "zoe", 1205), ("2024-03-01", "al b", -5), ("2024-03-02", "zoe", 0)]
        for record in records:
            append(self.path, *record)
        self.assertEqual(load(self.path), records)

    def test_bad_line(self):
        self.write("garbage\\n")
        with self.assertRaises(StoreError):
            load(self.path)


if __name__ == "__main__":
    unittest.main()
'''


def setup(rng: random.Random) -> dict:
    pkg, store, script = rng.choice(PACKAGES), rng.choice(STORES), rng.choice(SCRIPTS)
    dseed = rng.randint(100000, 999999)
    users = rng.sample(USERS, 2)
    c1, c2 = rng.randint(1, 99999), -rng.randint(1, 999)
    values = {
        "PKG": pkg, "STORE": store, "SCRIPT": script,
        "U1": users[0], "A1": fmt(c1), "C1": str(c1), "D1": f"2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)}",
        "U2": users[1], "A2": fmt(c2), "C2": str(c2), "D2": f"2024-1{rng.randint(0, 2)}-0{rng.randint(1, 9)}",
    }

    def fill(text):
        for key, value in values.items():
            text = text.replace("@" + key + "@", value)
        return text

    data = "".join(f"{user}|{fmt(cents)}|{date}\n" for date, user, cents in store_records(dseed))
    return {
        "params": {"pkg": pkg, "store": store, "script": script, "dseed": str(dseed)},
        "files": {
            f"{pkg}/__init__.py": f'"""{pkg}: who spent what."""\n',
            f"{pkg}/money.py": MONEY,
            f"{pkg}/writer.py": WRITER,
            f"{pkg}/reader.py": READER,
            f"{pkg}/__main__.py": fill(MAIN),
            "bin/lib.sh": fill(LIB),
            f"bin/{script}.sh": fill(SCRIPT),
            "FORMAT.md": fill(FORMAT),
            "README.md": fill(README),
            f"test_{pkg}.py": fill(TESTS),
            f"data/{store}": data,
        },
        "executable": [f"bin/{script}.sh"],
    }
