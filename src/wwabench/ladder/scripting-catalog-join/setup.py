"""Params and sample files for the catalog-join task."""
import importlib.util
import os
import random


def _joingen():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests", "joingen.py")
    spec = importlib.util.spec_from_file_location("wwabench_catalog_join_joingen", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def setup(rng: random.Random) -> dict:
    g = _joingen()
    key = rng.choice(["sku", "item_id", "part_no", "product_id", "article"])
    name = rng.choice(["name", "title", "label", "description"])
    qty = rng.choice(["qty", "quantity", "units", "count"])
    stem = rng.choice(["shop", "store", "depot", "outlet"])
    params = {
        "script": f"{rng.choice(['ordertotals', 'joinorders', 'salesjoin', 'tally'])}-{rng.randint(10, 99)}.sh",
        "key": key, "name": name, "qty": qty, "miss_rc": str(rng.choice([1, 3, 4, 5])),
        "catalog": f"{stem}-catalog.csv", "orders": f"{stem}-orders.csv",
    }
    ccols, crows = g.catalog(rng, key, name, rng.randint(10, 16), extras=["price", "stock"])
    crows.sort(key=lambda r: int(r[key]))
    ocols, orows = g.orders(rng, key, qty, [r[key] for r in crows], rng.randint(20, 30), unknown=0.1,
                            extras=["customer", "date"])
    return {"params": params, "files": {params["catalog"]: g.text(ccols, crows),
                                        params["orders"]: g.text(ocols, orows)}}
