"""Checks for scripting-catalog-join: run the agent's script on fresh CSV files."""
import os
import random
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import joingen as g  # noqa: E402

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
NAME = P["script"]
SCRIPT = os.path.abspath(NAME)
KEY, NAMECOL, QTY, MISS_RC = P["key"], P["name"], P["qty"], int(P["miss_rc"])
rng = random.Random()
TMP = tempfile.mkdtemp()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(args):
    if not os.path.isfile(SCRIPT):
        fail(f"{NAME} missing")
    if not os.access(SCRIPT, os.X_OK):
        fail(f"{NAME} is not executable")
    try:
        r = subprocess.run([SCRIPT] + args, input="", capture_output=True, text=True, timeout=10, cwd=TMP)
    except subprocess.TimeoutExpired:
        fail(f"{NAME} {args} timed out")
    except OSError as e:
        fail(f"{NAME} could not run: {e}")
    return r.stdout, r.stderr, r.returncode


def write(name, text):
    with open(os.path.join(TMP, name), "w") as fh:
        fh.write(text)
    return name


def case(i, parts, ncat, nord, unknown):
    ccols, crows = g.catalog(rng, KEY, NAMECOL, ncat)
    ocols, orows = g.orders(rng, KEY, QTY, [r[KEY] for r in crows], nord, unknown=unknown)
    ctext, otext = g.text(ccols, crows), g.text(ocols, orows)
    c = write(f"catalog {i}.csv", ctext)
    o = write(f"orders-{i}.csv", otext)
    want = g.expected(KEY, NAMECOL, QTY, crows, orows, MISS_RC)
    got = run([c, o])
    labels = ("stdout", "stderr", "exit status")
    for k in parts:
        if got[k] != want[k]:
            fail(f"{labels[k]} differs for ./{NAME} {c!r} {o!r}\n--- {c}\n{ctext}--- {o}\n{otext}"
                 f"=== got\n{got[k]}\n=== want\n{want[k]}")
    return want


def streams(parts):
    w = [case(0, parts, rng.randint(8, 20), rng.randint(15, 40), 0.15),
         case(1, parts, rng.randint(3, 8), rng.randint(20, 40), 0.0),
         case(2, parts, rng.randint(10, 25), rng.randint(30, 60), 0.3)]
    if 2 in parts:
        case(3, parts, rng.randint(2, 6), 0, 0.0)  # orders without records
        if not any(x[2] == MISS_RC for x in w):
            fail("internal: no unmatched order generated")


def errors():
    ccols, crows = g.catalog(rng, KEY, NAMECOL, 5)
    ocols, orows = g.orders(rng, KEY, QTY, [r[KEY] for r in crows], 8)
    c, o = write("cat.csv", g.text(ccols, crows)), write("ord.csv", g.text(ocols, orows))
    os.mkdir(os.path.join(TMP, "dir.csv"))
    usage = f"usage: {NAME} CATALOG ORDERS\n"
    missing = f"gone-{rng.randint(100, 999)}.csv"
    for args, err in (([], usage), ([c], usage), ([c, o, o], usage),
                      ([missing, o], f"error: cannot read {missing}\n"),
                      ([c, missing], f"error: cannot read {missing}\n"),
                      ([c, "dir.csv"], "error: cannot read dir.csv\n"),
                      (["dir.csv", missing], "error: cannot read dir.csv\n")):
        got = run(args)
        if got != ("", err, 2):
            fail(f"arguments {args!r}: got (stdout, stderr, rc) = {got!r}, want ('', {err!r}, 2)")


which = sys.argv[1]
if which == "totals":
    streams((0,))
elif which == "unmatched":
    streams((1, 2))
elif which == "errors":
    errors()
else:
    fail(f"unknown mode {which}")
print("ok")
