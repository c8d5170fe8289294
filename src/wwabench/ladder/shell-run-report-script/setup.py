"""Generate a seed-dependent report script and order data."""
import hashlib
import random

REGIONS = ["north", "south", "east", "west", "central", "coast", "highland", "delta"]
ITEMS = ["bolts", "nuts", "gears", "springs", "valves", "hinges", "pulleys", "rivets", "washers"]
VERBS = ["summarise", "report", "tally", "digest", "rollup"]

SCRIPT = r"""#!/bin/bash
# usage: tools/@NAME@ REGION
# Prints a summary of the orders of REGION from data/orders.csv.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 REGION" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
region=$1
echo "report @TAG@ for $region"
awk -F, -v r="$region" 'NR > 1 && $2 == r { n++; q += $4; c += $4 * $5 }
    END { printf "orders %d\nunits %d\ncents %d\n", n, q, c }' data/orders.csv
echo "top items:"
awk -F, -v r="$region" 'NR > 1 && $2 == r { q[$3] += $4 } END { for (i in q) print q[i], i }' data/orders.csv \
    | LC_ALL=C sort -k1,1nr -k2,2 | head -n 3
"""


def setup(rng: random.Random) -> dict:
    name = f"{rng.choice(VERBS)}-{rng.choice(['orders', 'sales', 'shipments'])}.sh"
    regions = rng.sample(REGIONS, 5)
    region = regions[0]
    tag = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(6))
    out = f"{region}_report_{rng.randint(100, 999)}.txt"
    rows = ["id,region,item,qty,price_cents"]
    for i in range(rng.randint(60, 120)):
        r = region if rng.random() < 0.3 else rng.choice(regions)
        rows.append(f"{1000 + i},{r},{rng.choice(ITEMS)},{rng.randint(1, 40)},{rng.randint(5, 900)}")
    files = {
        f"tools/{name}": SCRIPT.replace("@NAME@", name).replace("@TAG@", tag),
        "data/orders.csv": "\n".join(rows) + "\n",
        "data/README": "orders.csv: one order per line; prices in cents.\n",
    }
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p].encode() + b"\0")
    return {
        "params": {"script": name, "region": region, "out": out, "srcsum": h.hexdigest()[:20]},
        "files": files,
    }
