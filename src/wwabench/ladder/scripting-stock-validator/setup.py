"""Params and a sample input for the stock-validator task."""
import importlib.util
import os
import random


def _recgen():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests", "recgen.py")
    spec = importlib.util.spec_from_file_location("wwabench_stock_validator_recgen", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def setup(rng: random.Random) -> dict:
    recgen = _recgen()
    prefix = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXY") for _ in range(rng.randint(2, 3)))
    sample = f"{rng.choice(['stock', 'inventory', 'shipment', 'delivery', 'restock'])}-{rng.randint(1, 9)}.csv"
    script = f"{rng.choice(['stockcheck', 'skucheck', 'invlint', 'recvalid', 'stocklint'])}-{rng.randint(10, 99)}.sh"
    params = {
        "script": script, "prefix": prefix, "sample": sample,
        "bad_rc": str(rng.choice([1, 3, 4])), "io_rc": str(rng.choice([5, 6, 7])),
    }
    text = recgen.make(rng, prefix, rng.randint(12, 18), bad=rng.randint(5, 8), dup=2, skip=3)
    return {"params": params, "files": {sample: text}}
