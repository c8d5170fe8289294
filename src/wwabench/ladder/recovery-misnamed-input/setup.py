"""A summary tool whose config names data/X.csv while the file on disk is named a
little differently (dash for underscore, capital letter, upper-case extension...)."""
import hashlib
import json
import random

TOOLS = ["sensorsum", "readings", "stationstats", "climate", "meter"]
SITES = ["oslo", "bergen", "tromso", "lyon", "graz", "porto", "turku", "basel"]
KINDS = ["temp", "humidity", "pressure", "wind"]
STATIONS = ["north", "south", "east", "west", "harbour", "airport", "hill", "river", "park"]

TOOL_PY = '''"""Summarise sensor readings: count, min, max and mean per station.

Settings (input CSV with columns station,time,value, and output file) are in TOOL.json.
"""
import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    cfg = json.loads((HERE / "TOOL.json").read_text())
    stats = {}
    with open(HERE / cfg["input"], newline="") as fh:
        for row in csv.DictReader(fh):
            value = float(row["value"])
            s = stats.setdefault(row["station"], [])
            s.append(value)
    lines = ["station count min max mean"]
    for station in sorted(stats):
        values = stats[station]
        mean = sum(values) / len(values)
        lines.append(f"{station} {len(values)} {min(values):.1f} {max(values):.1f} {mean:.2f}")
    (HERE / cfg["output"]).write_text("\\n".join(lines) + "\\n")
    print(f"wrote {cfg['output']}: {len(stats)} stations")


if __name__ == "__main__":
    main()
'''


def misname(rng, base):
    """A plausible wrong name for data/BASE.csv."""
    site, kind = base.split("_", 1)
    return rng.choice([
        f"{site}-{kind}.csv",
        f"{site.capitalize()}_{kind}.csv",
        f"{base}.CSV",
        f"{base}.csv.txt",
        f"{kind}_{site}.csv",
    ])


def setup(rng: random.Random) -> dict:
    tool = rng.choice(TOOLS)
    base = f"{rng.choice(SITES)}_{rng.choice(KINDS)}"
    want = f"{base}.csv"
    have = misname(rng, base)
    out = f"summary_{base}_{rng.randint(10, 99)}.txt"
    stations = rng.sample(STATIONS, rng.randint(3, 6))
    rows = ["station,time,value"]
    for i in range(rng.randint(20, 50)):
        rows.append(f"{rng.choice(stations)},2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T{rng.randint(10, 23)}:00,"
                    f"{rng.randint(-300, 1200) / 10:.1f}")
    data = "\n".join(rows) + "\n"
    cfg = json.dumps({"input": f"data/{want}", "output": out}, indent=2) + "\n"
    code = TOOL_PY.replace("TOOL", tool)
    both = hashlib.sha256((code + "\0" + cfg).encode()).hexdigest()
    return {
        "params": {"tool": tool, "want": want, "have": have, "out": out,
                   "datasum": hashlib.sha256(data.encode()).hexdigest(), "codesum": both},
        "files": {f"{tool}.py": code, f"{tool}.json": cfg, f"data/{have}": data},
    }
