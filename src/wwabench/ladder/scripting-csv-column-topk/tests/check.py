"""Checks for scripting-csv-column-topk: run the agent's script on fresh CSV files."""
import os
import random
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csvgen  # noqa: E402

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
SCRIPT = os.path.abspath(P["script"])
COL, N, K = P["col"], int(P["n"]), int(P["k"])
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(path, cwd):
    if not os.path.isfile(SCRIPT):
        fail(f"{P['script']} missing")
    if not os.access(SCRIPT, os.X_OK):
        fail(f"{P['script']} is not executable")
    try:
        r = subprocess.run([SCRIPT, path], input="", capture_output=True, text=True,
                           timeout=10, cwd=cwd)
    except subprocess.TimeoutExpired:
        fail(f"{P['script']} timed out")
    except OSError as e:
        fail(f"{P['script']} could not run: {e}")
    return r.stdout, r.returncode


def expect(counts, tmp, i):
    ncols = rng.randint(max(N, 3), 5)
    names = csvgen.header(rng, COL, N, ncols)
    text = csvgen.make(rng, names, COL, counts)
    path = os.path.join(tmp, f"fresh-{i}.csv")
    with open(path, "w") as fh:
        fh.write(text)
    got = run(path, tmp)
    want = (csvgen.top(counts, K), 0)
    if got != want:
        fail(f"on this file:\n{text}--- got rc={got[1]}\n{got[0]}--- want\n{want[0]}")


def main(which):
    tmp = tempfile.mkdtemp()
    pool = csvgen.POOLS[COL]
    if which == "top":
        for i in range(3):
            expect(csvgen.distinct_counts(rng, pool, rng.randint(K + 1, len(pool))), tmp, i)
    elif which == "ties":
        # every value at the cut shares its count with others
        for i in range(2):
            vals = rng.sample(pool, rng.randint(K + 2, len(pool)))
            c = rng.randint(2, 4)
            counts = {v: c for v in vals}
            for v in vals[: rng.randint(0, K - 2)]:
                counts[v] = c + rng.randint(1, 3)
            expect(counts, tmp, i)
        # fewer distinct values than K: a counted header would show up
        vals = rng.sample(pool, K - 1)
        expect({v: rng.randint(1, 4) for v in vals}, tmp, 3)
    else:
        fail(f"unknown mode {which}")
    print("ok")


main(sys.argv[1])
