"""A sensor-feed pipeline that fails twice: pipeline.ini names incoming/FEED.csv, but the
feed was moved to archive/YEAR/; and the feed holds malformed lines (too few or too many
fields, a value that is not a number) that the parser must skip and report, not crash on."""
import hashlib
import random

FEEDS = ["plant", "boiler", "greenhouse", "cellar", "roof", "lab", "garage", "attic"]
SENSORS = ["t1", "t2", "h1", "p1", "co2", "lux", "t3", "flow"]
BAD_VALUES = ["n/a", "ERR", "", "12..5", "--", "null", "4,5"]

PROCESS_PY = '''"""Summarise a feed of sensor readings into per-sensor statistics.

Settings are in pipeline.ini: [input] path is the feed, [output] summary and rejects are
the files written (paths relative to this directory).
"""
import configparser
import os
import sys

from readings import read_records, summarize

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(HERE, "pipeline.ini"))
    src = os.path.join(HERE, cfg["input"]["path"])
    records, rejects = read_records(src)
    summary = os.path.join(HERE, cfg["output"]["summary"])
    rejected = os.path.join(HERE, cfg["output"]["rejects"])
    for path in (summary, rejected):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(summary, "w") as out:
        out.write("sensor,count,min,max,mean\\n")
        for sensor, count, low, high, mean in summarize(records):
            out.write(f"{sensor},{count},{low:.2f},{high:.2f},{mean:.2f}\\n")
    with open(rejected, "w") as out:
        for number, text in rejects:
            out.write(f"line {number}: {text}\\n")
    print(f"{len(records)} records, {len(rejects)} rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

READINGS_PY = '''"""Reading and summarising feed files."""


def read_records(path):
    """The records of a feed file, and its malformed lines.

    A record line is `timestamp,sensor,value`. Blank lines and lines starting with `#`
    are skipped. A line that does not have exactly three comma-separated fields, or whose
    value float() rejects, is malformed: it goes into rejects as (line number counted
    from 1, the line without its newline) and reading goes on.
    Returns (records, rejects), records being (timestamp, sensor, value) tuples.
    """
    records, rejects = [], []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\\n")
            if not line.strip() or line.startswith("#"):
                continue
            stamp, sensor, value = line.split(",")
            records.append((stamp, sensor, float(value)))
    return records, rejects


def summarize(records):
    """(sensor, count, min, max, mean) per sensor, sorted by sensor."""
    values = {}
    for _, sensor, value in records:
        values.setdefault(sensor, []).append(value)
    return [(s, len(v), min(v), max(v), sum(v) / len(v)) for s, v in sorted(values.items())]
'''


def malformed(rng, stamp, sensor):
    kind = rng.randrange(3)
    if kind == 0:
        return f"{stamp},{sensor}"
    if kind == 1:
        return f"{stamp},{sensor},{rng.randint(0, 999) / 10},{rng.choice(['x', 'calib', ''])}"
    return f"{stamp},{sensor},{rng.choice(BAD_VALUES)}"


def feed_text(rng, feed):
    sensors = rng.sample(SENSORS, rng.randint(3, 5))
    lines = [f"# feed {feed}, exported {rng.randint(2021, 2024)}", "# timestamp,sensor,value"]
    n = rng.randint(30, 60)
    # at least one line of each malformed kind, the first bad one coming early
    bad_at = set(rng.sample(range(3, n), rng.randint(3, 6)))
    kinds_needed = [0, 1, 2]
    for i in range(n):
        stamp = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        sensor = rng.choice(sensors)
        if i in bad_at:
            if kinds_needed:
                k = kinds_needed.pop(rng.randrange(len(kinds_needed)))
                line = [f"{stamp},{sensor}",
                        f"{stamp},{sensor},{rng.randint(0, 999) / 10},{rng.choice(['x', 'calib'])}",
                        f"{stamp},{sensor},{rng.choice(BAD_VALUES)}"][k]
            else:
                line = malformed(rng, stamp, sensor)
            lines.append(line)
        else:
            lines.append(f"{stamp},{sensor},{rng.randint(-400, 3000) / 10}")
        if rng.random() < 0.05:
            lines.append("")
    return "\n".join(lines) + "\n"


def setup(rng: random.Random) -> dict:
    feed = f"{rng.choice(FEEDS)}_{rng.randint(10, 99)}"
    year = str(rng.randint(2021, 2024))
    data = feed_text(rng, feed)
    ini = (f"[input]\npath = incoming/{feed}.csv\n\n[output]\nsummary = out/{feed}_summary.csv\n"
           f"rejects = out/{feed}_rejects.txt\n")
    files = {
        "pipeline.ini": ini,
        "process.py": PROCESS_PY,
        "readings.py": READINGS_PY,
        f"archive/{year}/{feed}.csv": data,
        "incoming/README": "Feeds are dropped here; processed feeds are moved to archive/YEAR/.\n",
    }
    # other archived feeds, under other names
    for other in rng.sample([f for f in FEEDS if not feed.startswith(f + "_")], 2):
        files[f"archive/{rng.randint(2019, 2024)}/{other}_{rng.randint(10, 99)}.csv"] = feed_text(rng, other)
    return {
        "params": {"feed": feed, "year": year, "datasum": hashlib.sha256(data.encode()).hexdigest()},
        "files": files,
    }
