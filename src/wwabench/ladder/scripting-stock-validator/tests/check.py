"""Checks for scripting-stock-validator: run the agent's script on fresh inputs."""
import os
import random
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recgen  # noqa: E402

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
NAME = P["script"]
SCRIPT = os.path.abspath(NAME)
PREFIX, BAD_RC, IO_RC = P["prefix"], int(P["bad_rc"]), int(P["io_rc"])
USAGE = f"usage: {NAME} [--] [FILE...]\n"
rng = random.Random()
TMP = tempfile.mkdtemp()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(args, stdin_text=""):
    if not os.path.isfile(SCRIPT):
        fail(f"{NAME} missing")
    if not os.access(SCRIPT, os.X_OK):
        fail(f"{NAME} is not executable")
    try:
        r = subprocess.run([SCRIPT] + args, input=stdin_text, capture_output=True, text=True,
                           timeout=10, cwd=TMP)
    except subprocess.TimeoutExpired:
        fail(f"{NAME} {args} timed out")
    except OSError as e:
        fail(f"{NAME} could not run: {e}")
    return r.stdout, r.stderr, r.returncode


def write(name, text):
    with open(os.path.join(TMP, name), "w") as fh:
        fh.write(text)
    return name


def show(args, files, stdin_text):
    parts = [f"arguments: {args!r}"]
    for name, text in files.items():
        if name in args:
            parts.append(f"--- file {name!r}\n{text}")
    if stdin_text:
        parts.append(f"--- standard input\n{stdin_text}")
    return "\n".join(parts)


def case(args, files, stdin_text="", parts=(0, 1, 2)):
    """Run args; files maps name -> text (None: unreadable); compare the chosen parts."""
    inputs, stdin_used = [], False
    ops = list(args)
    if "--" in args:  # only the first -- ends the options
        i = args.index("--")
        ops = ops[:i] + ops[i + 1:]
    for a in ops or ["-"]:
        if a == "-":
            inputs.append(("-", "" if stdin_used else stdin_text))
            stdin_used = True
        else:
            inputs.append((a, files.get(a)))
    want = recgen.expected(inputs, NAME, PREFIX, BAD_RC, IO_RC)
    got = run(args, stdin_text)
    labels = ("stdout", "stderr", "exit status")
    for k in parts:
        if got[k] != want[k]:
            fail(f"{labels[k]} differs\n{show(args, files, stdin_text)}\n=== got\n{got[k]}\n=== want\n{want[k]}")
    return want


def fresh(used, bad=None):
    return recgen.make(rng, PREFIX, rng.randint(3, 12), bad=rng.randint(1, 5) if bad is None else bad,
                       dup=rng.randint(0, 2), skip=rng.randint(0, 3), used=used)


def streams(parts):
    used = []
    a, b = write("fresh a.csv", fresh(used)), write("fresh-b.csv", fresh(used))
    w = case([a, b], {a: open(os.path.join(TMP, a)).read(), b: open(os.path.join(TMP, b)).read()},
             parts=parts)
    if 2 in parts and w[2] != BAD_RC:
        fail("internal: no invalid record in the first case")
    used = []
    case([], {}, fresh(used), parts=parts)
    used = []
    c, d = write("c.csv", fresh(used)), fresh(used)
    e = write("e.csv", fresh(used))
    files = {c: open(os.path.join(TMP, c)).read(), e: open(os.path.join(TMP, e)).read()}
    case([c, "-", e], files, d, parts=parts)
    if 2 in parts:  # all valid: exit 0, empty stderr
        used = []
        f = write("clean.csv", recgen.make(rng, PREFIX, rng.randint(3, 9), skip=2, used=used))
        case([f], {f: open(os.path.join(TMP, f)).read()}, parts=parts)


def operands():
    used = []
    texts = {n: fresh(used) for n in ("-late.csv", "one.csv", "two part.csv")}
    for n, t in texts.items():
        write(n, t)
    os.mkdir(os.path.join(TMP, "adir.csv"))
    case(["--", "-late.csv", "one.csv"], texts)
    case(["one.csv", "missing.csv", "two part.csv", "adir.csv"], texts)
    case(["--", "one.csv", "--"], texts)
    case(["one.csv", "--", "-"], texts, fresh([x.split(",")[0] for x in texts["one.csv"].split("\n")]))


def usage():
    write("u.csv", fresh([]))
    for args in (["-v", "u.csv"], ["u.csv", "-x"], ["--help"], ["-", "u.csv", "-q", "--", "u.csv"]):
        got = run(args, fresh([]))
        if got != ("", USAGE, 2):
            fail(f"arguments {args!r}: got (stdout, stderr, rc) = {got!r}, want ('', {USAGE!r}, 2)")
    write("empty.csv", "")
    write("skipped.csv", "".join(rng.choice(["\n", "# note\n", "#\n"]) for _ in range(rng.randint(2, 5))))
    for args, stdin_text in (([], ""), (["empty.csv"], ""), (["skipped.csv", "-"], "")):
        got = run(args, stdin_text)
        if got != ("", "", 0):
            fail(f"empty input {args!r}: got (stdout, stderr, rc) = {got!r}, want ('', '', 0)")


which = sys.argv[1]
if which == "records":
    streams((0,))
elif which == "diagnostics":
    streams((1, 2))
elif which == "operands":
    operands()
elif which == "usage":
    usage()
else:
    fail(f"unknown mode {which}")
print("ok")
