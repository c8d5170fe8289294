"""A bash/awk traffic report whose exec bit is missing: `./NAME.sh` says Permission denied."""
import hashlib
import random

SCRIPTS = ["traffic", "tally", "hits", "webstat", "logsum"]
KEYS = {"host": 1, "path": 7}
PATHS = ["/", "/index.html", "/api/items", "/api/users", "/login", "/static/app.js",
         "/static/site.css", "/docs/intro", "/search", "/img/logo.png"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]


def script_text(key):
    col = KEYS[key]
    return (
        "#!/bin/bash\n"
        f"# Usage: ./SCRIPT.sh LOGFILE -- total bytes and requests per {key}, busiest first.\n"
        "set -euo pipefail\n"
        'if [ "$#" -ne 1 ]; then\n'
        '    echo "usage: $0 LOGFILE" >&2\n'
        "    exit 2\n"
        "fi\n"
        f"awk '{{ bytes[${col}] += $NF; hits[${col}]++ }}\n"
        "     END { for (k in bytes) printf \"%s %d %d\\n\", k, bytes[k], hits[k] }' \"$1\" |\n"
        "    sort -k2,2nr -k1,1\n"
    )


def log_text(rng, key):
    hosts = [f"10.{rng.randint(0, 9)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(rng.randint(4, 7))]
    paths = rng.sample(PATHS, rng.randint(4, 8))
    month = rng.choice(MONTHS)
    lines = []
    for i in range(rng.randint(25, 60)):
        lines.append(
            f'{rng.choice(hosts)} - - [{rng.randint(1, 28):02d}/{month}/2024:{rng.randint(0, 23):02d}:'
            f'{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} +0000] '
            f'"{rng.choice(["GET", "GET", "GET", "POST"])} {rng.choice(paths)} HTTP/1.1" '
            f'{rng.choice([200, 200, 200, 304, 404, 500])} {rng.randint(0, 90000)}'
        )
    return "\n".join(lines) + "\n"


def setup(rng: random.Random) -> dict:
    script = rng.choice(SCRIPTS)
    key = rng.choice(sorted(KEYS))
    inp = f"access_{rng.choice(['web1', 'web2', 'edge', 'front', 'proxy'])}_{rng.randint(10, 99)}"
    outfile = f"{key}_report_{rng.randint(100, 999)}.txt"
    text = script_text(key).replace("SCRIPT", script)
    log = log_text(rng, key)
    return {
        "params": {
            "script": script, "key": key, "input": inp, "outfile": outfile,
            "scriptsum": hashlib.sha256(text.encode()).hexdigest(),
            "logsum": hashlib.sha256(log.encode()).hexdigest(),
        },
        "files": {f"{script}.sh": text, f"logs/{inp}.log": log},
    }
