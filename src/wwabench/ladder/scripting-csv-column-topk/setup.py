"""Params and the sample CSV for the csv-column-topk task."""
import importlib.util
import os
import random


def _csvgen():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests", "csvgen.py")
    spec = importlib.util.spec_from_file_location("wwabench_csv_column_topk_csvgen", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def setup(rng: random.Random) -> dict:
    csvgen = _csvgen()
    col = rng.choice(sorted(csvgen.POOLS))
    ncols = rng.randint(4, 5)
    n = rng.randint(2, ncols)
    k = rng.randint(3, 5)
    names = csvgen.header(rng, col, n, ncols)
    counts = csvgen.distinct_counts(rng, csvgen.POOLS[col], k + 4)
    sample = f"{rng.choice(['visits', 'tickets', 'survey', 'events', 'signups'])}.csv"
    script = f"{rng.choice(['topk', 'topvals', 'mostcommon', 'freq'])}-{rng.randint(10, 99)}.sh"
    return {
        "params": {"script": script, "sample": sample, "col": col, "n": str(n), "k": str(k)},
        "files": {sample: csvgen.make(rng, names, col, counts)},
    }
