"""Seed-dependent variant: a history where one commit since a release tag broke a test.

The history is built here as full snapshots (one .stage/NN directory per commit:
msg and files/), from a small model of three modules and a test script. One commit
("bad") changes a constant so that one test fails (and touches the module docstring);
a later commit inserts a new constant on the line right after it, so that
`git revert` of the bad commit conflicts. The params carry digests of the original
tip's tree and of the expected tree after the revert, for the checks.
"""

import hashlib
import random

REPOS = ["corner-shop", "webstore", "market-app", "bazaar", "tradepost", "outlet"]
SHIP = ["shipping", "delivery", "freight"]
PRICE = ["pricing", "billing", "invoicing"]
STOCK = ["stock", "inventory", "warehouse"]


def blob_id(text):
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def digest(files):
    """A digest of a whole tree: paths and blob ids (the checks compute it from git ls-tree)."""
    return hashlib.sha1("".join(f"{p}\0{blob_id(t)}\n" for p, t in sorted(files.items())).encode()).hexdigest()


class Module:
    def __init__(self, name, doc, imports, consts, funcs):
        self.name, self.doc, self.imports, self.consts, self.funcs = name, doc, imports, consts, funcs

    def render(self):
        out = f'"""{self.doc}"""\n\n'
        if self.imports:
            out += "".join(f"import {i}\n" for i in self.imports) + "\n"
        out += "".join(f"{k} = {v}\n" for k, v in self.consts)
        for f in self.funcs:
            out += "\n\n" + f
        return out

    def set_const(self, key, value):
        self.consts = [(k, value if k == key else v) for k, v in self.consts]

    def insert_after(self, key, new):
        i = [k for k, _ in self.consts].index(key)
        self.consts.insert(i + 1, new)


RUNNER = '''

def main():
    tests = [(name, fn) for name, fn in sorted(globals().items()) if name.startswith("test_")]
    failed = []
    for name, fn in tests:
        try:
            fn()
        except Exception as exc:
            failed.append(name)
            print(f"FAIL {name}: {exc!r}")
    print(f"{len(tests) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
'''


class Repo:
    def __init__(self, mods, tests, extra):
        self.mods, self.tests, self.extra = mods, tests, extra

    def files(self):
        out = dict(self.extra)
        for m in self.mods.values():
            out[f"{m.name}.py"] = m.render()
        head = '"""The project\'s tests: python3 run_tests.py"""\n\nimport sys\n\n'
        head += "".join(f"import {m.name}\n" for m in self.mods.values())
        out["run_tests.py"] = head + "".join("\n\n" + t for t in self.tests) + "\n" + RUNNER
        return out


def setup(rng: random.Random) -> dict:
    s, p, k = rng.choice(SHIP), rng.choice(PRICE), rng.choice(STOCK)
    repo = rng.choice(REPOS)
    base, perkg, free = rng.randint(3, 9), rng.randint(1, 4), rng.choice(range(40, 95, 5))
    vat = rng.choice([7, 8, 13, 16, 19, 21, 23, 24, 25])
    low, maxo = rng.randint(3, 9), rng.choice([50, 60, 80, 100, 120, 150])
    mods = {
        "s": Module(s, f"{s.capitalize()} costs.", ["math"],
                    [("BASE_FEE", base), ("PER_KG", perkg), ("FREE_OVER", free)],
                    [f"def cost(total, weight):\n    if total >= FREE_OVER:\n        return 0\n"
                     f"    return BASE_FEE + PER_KG * math.ceil(weight)\n"]),
        "p": Module(p, f"{p.capitalize()} helpers.", [], [("VAT_RATE", vat), ("ROUND_TO", 2)],
                    ["def gross(net):\n    return round(net * (100 + VAT_RATE) / 100, ROUND_TO)\n"]),
        "k": Module(k, f"{k.capitalize()} levels.", [], [("LOW_STOCK", low), ("MAX_ORDER", maxo)],
                    ["def is_low(qty):\n    return qty <= LOW_STOCK\n",
                     "def clamp_order(qty):\n    return min(qty, MAX_ORDER)\n"]),
    }
    tests = {
        "s_fee": f"def test_{s}_fee():\n    assert {s}.cost({free - 1}, 2.5) == {base + 3 * perkg}\n",
        "s_free": f"def test_{s}_free():\n    assert {s}.cost({free}, 10) == 0\n",
        "p_gross": f"def test_{p}_gross():\n    assert {p}.gross(100) == {100 + vat}\n",
        "k_low": f"def test_{k}_low():\n    assert {k}.is_low({low}) and not {k}.is_low({low + 1})\n",
        "k_clamp": f"def test_{k}_clamp():\n    assert {k}.clamp_order({maxo + 5}) == {maxo}\n",
    }
    test_order = list(tests)
    extra = {"README.md": f"# {repo}\n\nThe {repo} back office.\n"}
    R = Repo(mods, [tests[t] for t in test_order], extra)

    def sync():
        R.tests = [tests[t] for t in test_order]

    # which constant breaks, and how
    broken = rng.choice(["s", "p", "k"])
    if broken == "s":
        const, good, bad, test = "FREE_OVER", free, free * 10, f"test_{s}_free"
        newconst = ("EXPRESS_FEE", rng.randint(5, 15))
        adj_func = ("def express_cost(total, weight):\n    return cost(total, weight) + EXPRESS_FEE\n")
        adj_test = (f"def test_{s}_express():\n    assert {s}.express_cost({free - 1}, 1) == "
                    f"{base + perkg + newconst[1]}\n")
        adj_msg = "Add express delivery fee"
    elif broken == "p":
        const, good, test = "VAT_RATE", vat, f"test_{p}_gross"
        bad = int(str(vat)[::-1]) if str(vat)[::-1] != str(vat) and vat >= 10 else vat + 10
        newconst = ("REDUCED_RATE", rng.choice([5, 6, 7, 9, 10]))
        adj_func = "def gross_reduced(net):\n    return round(net * (100 + REDUCED_RATE) / 100, ROUND_TO)\n"
        adj_test = f"def test_{p}_reduced():\n    assert {p}.gross_reduced(200) == {200 + 2 * newconst[1]}\n"
        adj_msg = "Support the reduced VAT rate"
    else:
        const, good, bad, test = "LOW_STOCK", low, low - 1, f"test_{k}_low"
        newconst = ("REORDER_QTY", rng.choice([10, 12, 20, 24, 25, 40]))
        adj_func = "def reorder_amount(qty):\n    return REORDER_QTY if is_low(qty) else 0\n"
        adj_test = (f"def test_{k}_reorder():\n    assert {k}.reorder_amount(0) == {newconst[1]}\n"
                    f"    assert {k}.reorder_amount({low + 10}) == 0\n")
        adj_msg = "Add reorder quantity"
    M = mods[broken]
    olddoc = M.doc
    newdoc = olddoc[:-1] + rng.choice([" for the back office.", ", as used by the shop.", " (see README)."])
    bad_msg = rng.choice([f"Tidy up the {M.name} module", f"Polish {M.name} docs and settings",
                          f"Update {M.name} module header", f"Clean up {M.name}"])

    def ev_bad():
        M.set_const(const, bad)
        M.doc = newdoc

    def ev_adj():
        M.insert_after(const, newconst)
        M.funcs.append(adj_func)
        tests["adj"] = adj_test
        test_order.append("adj")
        sync()

    def ev_refactor():
        M.funcs[0] = M.funcs[0].replace("):\n", '):\n    """See the module docstring."""\n', 1)

    others = [x for x in "spk" if x != broken]

    def ev_feature(x):
        mod = mods[x]
        if x == "s":
            mod.funcs.append("def weight_band(weight):\n    return math.ceil(weight)\n")
            tests["s_band"] = f"def test_{s}_band():\n    assert {s}.weight_band(2.2) == 3\n"
            test_order.append("s_band")
        elif x == "p":
            mod.funcs.append("def net_from_gross(value):\n    return round(value * 100 / (100 + VAT_RATE), ROUND_TO)\n")
            tests["p_net"] = f"def test_{p}_net():\n    assert {p}.net_from_gross({100 + vat}) == 100\n"
            test_order.append("p_net")
        else:
            mod.funcs.append("def needs_split(qty):\n    return qty > MAX_ORDER\n")
            tests["k_split"] = (f"def test_{k}_split():\n    assert {k}.needs_split(10 ** 6)\n"
                                f"    assert not {k}.needs_split(1)\n")
            test_order.append("k_split")
        sync()

    innocent = rng.choice([x for x in others if x != "p"])

    def ev_const():
        if innocent == "s":
            mods["s"].set_const("BASE_FEE", base + 1)
            tests["s_fee"] = f"def test_{s}_fee():\n    assert {s}.cost({free - 1}, 2.5) == {base + 1 + 3 * perkg}\n"
        else:
            mods["k"].set_const("MAX_ORDER", maxo * 2)
            tests["k_clamp"] = f"def test_{k}_clamp():\n    assert {k}.clamp_order({maxo * 2 + 5}) == {maxo * 2}\n"
        sync()

    def ev_extra(path, text):
        def f():
            R.extra[path] = text
        return f

    def ev_readme(text):
        def f():
            R.extra["README.md"] += text
        return f

    fmsg = {"s": f"Add weight bands to {s}", "p": "Add net_from_gross", "k": f"Flag {k} orders that need splitting"}
    cmsg = {"s": f"Raise the {s} base fee", "k": "Double the maximum order size"}
    events = [
        ("bad", bad_msg, ev_bad),
        ("adj", adj_msg, ev_adj),
        ("refactor", f"Document {M.name} functions", ev_refactor),
        ("f1", fmsg[others[0]], lambda: ev_feature(others[0])),
        ("f2", fmsg[others[1]], lambda: ev_feature(others[1])),
        ("const", cmsg[innocent], ev_const),
        ("r1", "Document running the tests", ev_readme("\n## Tests\n\n    python3 run_tests.py\n")),
        ("r2", "Add contact section to README", ev_readme(f"\n## Contact\n\nops@{repo}.example\n")),
        ("ign", "Add .gitignore", ev_extra(".gitignore", "__pycache__/\n*.pyc\n")),
        ("mk", "Add Makefile", ev_extra("Makefile", "test:\n\tpython3 run_tests.py\n")),
        ("ctb", "Add contributing notes", ev_extra("CONTRIBUTING.md", "Run the tests before you push.\n")),
    ]
    # the bad commit is neither the first nor among the last two; the conflicting one comes after it
    bad_ev, adj_ev = events[0], events[1]
    rest = events[2:]
    rng.shuffle(rest)
    bpos = rng.randint(1, len(rest) - 1)
    apos = rng.randint(bpos + 1, len(rest) + 1)
    events = rest[:bpos] + [bad_ev] + rest[bpos:]
    events.insert(apos, adj_ev)
    snaps = []
    # history before the tag: the initial state, then tests
    snaps.append(("Initial commit", {p: t for p, t in R.files().items() if p != "run_tests.py"}))
    snaps.append(("Add test script", R.files()))
    good_tag = f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.0"
    tagged = len(snaps)
    bad_index = None
    for name, msg, fn in events:
        fn()
        if name == "bad":
            bad_index = len(snaps)
        snaps.append((msg, R.files()))
    tip = R.files()
    # the expected tree: the tip with the bad commit's changes undone
    want = dict(tip)
    want[f"{M.name}.py"] = tip[f"{M.name}.py"].replace(f"{const} = {bad}\n", f"{const} = {good}\n").replace(
        f'"""{newdoc}"""', f'"""{olddoc}"""')
    files = {}
    for i, (msg, snap) in enumerate(snaps, 1):
        files[f".stage/{i:02d}/msg"] = msg + "\n"
        for path, text in snap.items():
            files[f".stage/{i:02d}/files/{path}"] = text
    params = {
        "repo": repo, "good": good_tag, "test": test, "module": M.name,
        "ncommits": str(len(snaps)), "tagged": str(tagged), "bad_index": str(bad_index + 1),
        "tip_digest": digest(tip), "want_digest": digest(want),
        "const": const, "good_value": str(good), "bad_value": str(bad),
    }
    return {"params": params, "files": files}
