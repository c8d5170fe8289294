"""A small report tool whose ./run.sh fails three ways: no exec bit, a misnamed module,
a missing config file (only the sample exists)."""
import random
from decimal import Decimal

PKGS = ["ledger", "tally", "spendlog", "budgeteer", "costbook"]
HELPERS = [("csvutils", "csv_utils"), ("rowreader", "row_reader"), ("ledgerio", "ledger_io"),
           ("loader", "loaders"), ("parsing", "parse")]
CATS = ["rent", "food", "travel", "books", "energy", "tools", "music", "health", "garden", "games"]


def setup(rng: random.Random) -> dict:
    pkg = rng.choice(PKGS)
    helper, badname = rng.choice(HELPERS)
    currency = rng.choice(["EUR", "USD", "CHF", "GBP", "JPY", "SEK"])
    precision = str(rng.randint(0, 3))
    inp = rng.choice(["expenses", "spending", "costs"]) + "_" + rng.choice(["jan", "feb", "mar", "apr", "may"])

    rows = ["item,category,amount"]
    cats = rng.sample(CATS, rng.randint(4, 7))
    for i in range(rng.randint(15, 30)):
        amount = Decimal(rng.randint(-500, 50000)).scaleb(-rng.randint(0, 3))
        rows.append(f"item{i},{rng.choice(cats)},{amount}")
    csv_text = "\n".join(rows) + "\n"

    files = {
        "run.sh": (
            "#!/bin/bash\n"
            "# Usage: ./run.sh FILE.csv -- print the total amount per category.\n"
            'here="$(cd "$(dirname "$0")" && pwd)"\n'
            f'PYTHONPATH="$here${{PYTHONPATH:+:$PYTHONPATH}}" exec python3 -m {pkg}.main "$@"\n'
        ),
        f"{pkg}/__init__.py": f'"""{pkg}: totals per category from a CSV of expenses."""\n',
        f"{pkg}/main.py": (
            "import sys\n\n"
            "from .config import load_config\n"
            f"from .{helper} import read_rows\n"
            "from .report import render\n\n\n"
            "def main(argv):\n"
            "    if len(argv) != 1:\n"
            '        print("usage: run.sh FILE.csv", file=sys.stderr)\n'
            "        return 2\n"
            "    cfg = load_config()\n"
            "    rows = read_rows(argv[0])\n"
            '    sys.stdout.write(render(rows, cfg))\n'
            "    return 0\n\n\n"
            'if __name__ == "__main__":\n'
            "    sys.exit(main(sys.argv[1:]))\n"
        ),
        f"{pkg}/{badname}.py": (
            '"""Reading the expenses CSV and rounding amounts."""\n'
            "import csv\n"
            "from decimal import Decimal\n\n\n"
            "def read_rows(path):\n"
            '    """(category, amount) pairs from a CSV with columns item,category,amount."""\n'
            '    with open(path, newline="") as fh:\n'
            '        return [(r["category"], Decimal(r["amount"])) for r in csv.DictReader(fh)]\n\n\n'
            "def quantize(value, places):\n"
            "    return Decimal(value).quantize(Decimal(1).scaleb(-places))\n"
        ),
        f"{pkg}/report.py": (
            f"from .{helper} import quantize\n\n\n"
            "def render(rows, cfg):\n"
            "    totals = {}\n"
            "    for category, amount in rows:\n"
            "        totals[category] = totals.get(category, 0) + amount\n"
            "    places, currency = cfg['precision'], cfg['currency']\n"
            "    order = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))\n"
            '    lines = [f"{c}: {quantize(t, places)} {currency}" for c, t in order]\n'
            '    lines.append(f"TOTAL: {quantize(sum(totals.values()), places)} {currency}")\n'
            '    return "\\n".join(lines) + "\\n"\n'
        ),
        f"{pkg}/config.py": (
            "import configparser\n"
            "import sys\n"
            "from pathlib import Path\n\n"
            'CONFIG = Path(__file__).resolve().parent.parent / "config" / "app.ini"\n\n\n'
            "def load_config():\n"
            "    if not CONFIG.is_file():\n"
            '        sys.exit("error: config file config/app.ini not found")\n'
            "    parser = configparser.ConfigParser()\n"
            "    parser.read(CONFIG)\n"
            '    section = parser["report"]\n'
            '    return {"currency": section["currency"], "precision": section.getint("precision")}\n'
        ),
        "config/app.ini.sample": f"[report]\ncurrency = {currency}\nprecision = {precision}\n",
        "README.md": (
            f"# {pkg}\n\nPrints the total per category of an expenses CSV (columns `item,category,amount`):\n\n"
            f"    ./run.sh data/{inp}.csv\n\n"
            "Settings live in `config/app.ini`; `config/app.ini.sample` holds the defaults.\n"
        ),
        f"data/{inp}.csv": csv_text,
    }
    return {"params": {"pkg": pkg, "helper": helper, "badname": badname, "currency": currency,
                       "precision": precision, "input": inp},
            "files": files}
