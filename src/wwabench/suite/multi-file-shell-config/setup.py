"""Seed-dependent variant: three shell scripts sharing bin/lib.sh, with a hard-coded data directory."""

import random

APPS = ["tally", "meter", "stash", "ledgr", "counter", "abacus", "scorer", "gauge"]
FUNCS = ["data_dir", "store_dir", "state_dir", "records_dir", "db_dir"]
SUFFIXES = ["DATA_DIR", "STORE", "HOME", "STATE_DIR", "DB"]
RECORDS = ["records.txt", "entries.db", "store.txt", "items.log", "ledger.txt", "values.txt"]

LIB = '''# Shared helpers for the @APP@ scripts. Source it, don't run it.

log() {
    printf '%s: %s\\n' "@APP@" "$*" >&2
}

valid_record() {
    # key=value with a lower-case key and an integer value
    [[ $1 =~ ^[a-z]+=-?[0-9]+$ ]]
}
'''

INGEST = '''#!/usr/bin/env bash
# Usage: ingest.sh FILE
# Append the valid key=value lines of FILE to the record store.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
mkdir -p data
added=0
while IFS= read -r line || [ -n "$line" ]; do
    if valid_record "$line"; then
        printf '%s\\n' "$line" >> data/@RECORDS@
        added=$((added + 1))
    fi
done < "$1"
log "ingested $added records"
'''

SUMMARY = '''#!/usr/bin/env bash
# Usage: summary.sh
# Print the number of records, then the total of each key (keys sorted).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

store=./data/@RECORDS@
[ -f "$store" ] || { log "no records"; exit 0; }
declare -A total=()
count=0
while IFS== read -r key value; do
    total[$key]=$(( ${total[$key]:-0} + value ))
    count=$((count + 1))
done < "$store"
echo "records: $count"
for key in "${!total[@]}"; do
    echo "$key ${total[$key]}"
done | LC_ALL=C sort
'''

PURGE = '''#!/usr/bin/env bash
# Usage: purge.sh KEY
# Remove every record of KEY from the store.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 KEY" >&2; exit 2; }
dir="data"
grep -v "^$1=" "$dir/@RECORDS@" > "$dir/@RECORDS@.tmp" || true
mv "$dir/@RECORDS@.tmp" "$dir/@RECORDS@"
log "purged $1"
'''

README = '''# @APP@

Tiny key=value record store.

    bin/ingest.sh FILE   append the valid key=value lines of FILE
    bin/summary.sh       number of records and total per key
    bin/purge.sh KEY     delete the records of KEY

Records live in data/@RECORDS@.
'''

KEYS = ["apples", "pears", "plums", "figs", "kiwis", "limes"]


def fill(text, values):
    for key, value in values.items():
        text = text.replace("@" + key + "@", value)
    return text


def setup(rng: random.Random) -> dict:
    app = rng.choice(APPS)
    var = app.upper() + "_" + rng.choice(SUFFIXES)
    fn = rng.choice(FUNCS)
    records = rng.choice(RECORDS)
    values = {"APP": app, "RECORDS": records}
    data = "".join(f"{rng.choice(KEYS)}={rng.randint(1, 99)}\n" for _ in range(rng.randint(4, 8)))
    files = {
        "bin/lib.sh": fill(LIB, values),
        "bin/ingest.sh": fill(INGEST, values),
        "bin/summary.sh": fill(SUMMARY, values),
        "bin/purge.sh": fill(PURGE, values),
        "README.md": fill(README, values),
        f"data/{records}": data,
    }
    return {
        "params": {"app": app, "var": var, "fn": fn, "records": records},
        "files": files,
        "executable": ["bin/ingest.sh", "bin/summary.sh", "bin/purge.sh"],
    }
