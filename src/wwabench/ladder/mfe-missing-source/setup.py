"""Seed-dependent variant: two scripts sharing a library; one of them forgot to source it."""

import random

LIBS = ["common", "helpers", "money", "util", "shared", "funcs"]
FUNCS = ["fmt_cents", "format_amount", "show_money", "as_euros", "pretty_cents", "money_fmt"]
WORKING = ["count", "entries", "lines", "tally"]
BROKEN = ["totals", "summary", "sums", "balance", "report"]

LIB = '''# Helpers shared by the scripts in bin/. Source it, don't run it.

# @FN@ CENTS: print an amount of cents as 1,234.56 (or -1,234.56).
@FN@() {
    local n=$1 sign=
    if [ "$n" -lt 0 ]; then sign=-; n=$(( -n )); fi
    local int=$(( n / 100 )) frac out=
    frac=$(printf '%02d' $(( n % 100 )))
    while [ ${#int} -gt 3 ]; do
        out=",${int: -3}$out"
        int=${int:0:${#int}-3}
    done
    printf '%s%s%s.%s\\n' "$sign" "$int" "$out" "$frac"
}

die() {
    echo "$*" >&2
    exit 1
}
'''

WORKING_SH = '''#!/usr/bin/env bash
# Usage: @WORKING@.sh FILE
# Print the number of entries of FILE (lines "NAME CENTS") and their mean amount.
set -euo pipefail
. "$(dirname "$0")/../lib/@LIB@.sh"

[ $# -eq 1 ] || die "usage: $0 FILE"
n=0 sum=0
while read -r name cents; do
    [ -n "$name" ] || continue
    n=$((n + 1))
    sum=$((sum + cents))
done < "$1"
echo "entries: $n"
[ "$n" -gt 0 ] && echo "mean: $(@FN@ $((sum / n)))"
exit 0
'''

BROKEN_SH = '''#!/usr/bin/env bash
# Usage: @BROKEN@.sh FILE
# Print the total and the largest amount of FILE (lines "NAME CENTS").
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 FILE" >&2
    exit 2
fi
total=0 largest=
while read -r name cents; do
    [ -n "$name" ] || continue
    total=$((total + cents))
    if [ -z "$largest" ] || [ "$cents" -gt "$largest" ]; then
        largest=$cents
    fi
done < "$1"
echo "total: $(@FN@ "$total")"
echo "largest: $(@FN@ "${largest:-0}")"
'''

NAMES = ["rent", "food", "fuel", "books", "gifts", "tools", "fees", "bikes"]


def setup(rng: random.Random) -> dict:
    lib, fn = rng.choice(LIBS), rng.choice(FUNCS)
    working, broken = rng.choice(WORKING), rng.choice(BROKEN)
    values = {"LIB": lib, "FN": fn, "WORKING": working, "BROKEN": broken}

    def fill(text):
        for key, value in values.items():
            text = text.replace("@" + key + "@", value)
        return text

    expenses = "".join(f"{rng.choice(NAMES)} {rng.randint(50, 250000)}\n" for _ in range(rng.randint(4, 9)))
    return {
        "params": {"lib": lib, "fn": fn, "working": working, "broken": broken},
        "files": {
            f"lib/{lib}.sh": fill(LIB),
            f"bin/{working}.sh": fill(WORKING_SH),
            f"bin/{broken}.sh": fill(BROKEN_SH),
            "expenses.txt": expenses,
        },
        "executable": [f"bin/{working}.sh", f"bin/{broken}.sh"],
    }
