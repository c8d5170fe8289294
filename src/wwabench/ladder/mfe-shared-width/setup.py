"""Seed-dependent variant: writer and reader modules sharing a fixed field width."""

import random

PACKAGES = ["fixcol", "colfmt", "padrow", "tabular", "widthy", "slab", "blockrec", "cardfile"]
WRITER_CONSTS = ["WIDTH", "FIELD_WIDTH", "COLUMN_WIDTH", "PAD_TO"]
READER_CONSTS = ["WIDTH", "FIELD_SIZE", "CELL_WIDTH", "SLICE"]

WRITER = '''"""Write rows in the fixed-width format: each field padded with spaces to @WC@ characters."""

@WC@ = @OLD@


def format_row(fields):
    """One row: every field cut to @WC@ characters and padded with spaces to @WC@."""
    return "".join(str(field)[:@WC@].ljust(@WC@) for field in fields)


def write_rows(path, rows):
    with open(path, "w") as f:
        for fields in rows:
            f.write(format_row(fields) + "\\n")
'''

READER = '''"""Read rows of the fixed-width format."""

@RC@ = @OLD@  # characters per field


def parse_row(line):
    """The fields of one row, trailing spaces removed."""
    line = line.rstrip("\\n")
    return [line[i:i + @RC@].rstrip(" ") for i in range(0, len(line), @RC@)]


def read_rows(path):
    with open(path) as f:
        return [parse_row(line) for line in f]
'''

def setup(rng: random.Random) -> dict:
    pkg = rng.choice(PACKAGES)
    old = rng.randint(8, 14)
    new = rng.choice([n for n in range(6, 25) if abs(n - old) >= 3])
    values = {"WC": rng.choice(WRITER_CONSTS), "RC": rng.choice(READER_CONSTS), "OLD": str(old)}

    def fill(text):
        for key, value in values.items():
            text = text.replace("@" + key + "@", value)
        return text

    return {
        "params": {"pkg": pkg, "old": str(old), "new": str(new)},
        "files": {
            f"{pkg}/__init__.py": f'"""{pkg}: a fixed-width row format."""\n',
            f"{pkg}/writer.py": fill(WRITER),
            f"{pkg}/reader.py": fill(READER),
        },
    }
