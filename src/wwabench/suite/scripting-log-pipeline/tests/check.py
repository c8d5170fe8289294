"""Checks for scripting-log-pipeline: run the agent's script on fresh logs."""
import os
import random
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loggen as lg  # noqa: E402

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
SCRIPT = os.path.abspath(P["script"])
LEVEL = P["level"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(args, stdin_text=None, cwd=None):
    if not os.path.isfile(SCRIPT):
        fail(f"{P['script']} missing")
    if not os.access(SCRIPT, os.X_OK):
        fail(f"{P['script']} is not executable")
    try:
        r = subprocess.run([SCRIPT] + args, input=stdin_text if stdin_text is not None else "",
                           capture_output=True, text=True, timeout=10, cwd=cwd)
    except subprocess.TimeoutExpired:
        fail(f"{P['script']} {args} timed out")
    return r.stdout, r.stderr, r.returncode


def cases(rng):
    svcs = lg.services(rng, rng.randint(4, 9))
    other = [lv for lv in lg.LEVELS if lv != LEVEL]
    return [
        lg.make_log(rng, rng.randint(40, 120), svcs, bad=0, blank=rng.randint(0, 2)),
        lg.make_log(rng, rng.randint(40, 120), svcs, bad=rng.randint(1, 5), blank=rng.randint(1, 3)),
        lg.make_log(rng, rng.randint(10, 30), svcs, bad=rng.randint(0, 2), levels=other),
    ]


def main(which):
    rng = random.Random()
    tmp = tempfile.mkdtemp()
    if which in ("report", "diagnostics"):
        logs = cases(rng)
        if not any(lg.expected(t, LEVEL)[2] == 3 for t in logs):
            fail("internal: no malformed case")
        for i, text in enumerate(logs):
            path = os.path.join(tmp, f"fresh {i}.log")
            with open(path, "w") as fh:
                fh.write(text)
            want = lg.expected(text, LEVEL)
            for how, got in (("file", run([path], cwd=tmp)), ("stdin", run([], stdin_text=text, cwd=tmp))):
                if which == "report" and got[0] != want[0]:
                    fail(f"stdout ({how}) differs on:\n{text}\n--- got\n{got[0]}--- want\n{want[0]}")
                if which == "diagnostics" and (got[1], got[2]) != (want[1], want[2]):
                    fail(f"stderr/exit ({how}) differ on:\n{text}\n--- got rc={got[2]}\n{got[1]}"
                         f"--- want rc={want[2]}\n{want[1]}")
    elif which == "errors":
        missing = os.path.join(tmp, f"nope-{rng.randint(1000, 9999)}.log")
        got = run([missing], cwd=tmp)
        if got != ("", f"error: cannot read {missing}\n", 2):
            fail(f"missing file: got {got}")
        unreadable = os.path.join(tmp, "dir.log")
        os.mkdir(unreadable)
        got = run([unreadable], cwd=tmp)
        if got[0] != "" or got[2] != 2 or f"error: cannot read {unreadable}\n" not in got[1]:
            fail(f"directory argument: got {got}")
        extra = os.path.join(tmp, "a.log")
        with open(extra, "w") as fh:
            fh.write(lg.make_log(rng, 5, ["x"]))
        got = run([extra, extra], cwd=tmp)
        if got != ("", f"usage: {P['script']} [FILE]\n", 2):
            fail(f"two arguments: got {got}")
    print("ok")


main(sys.argv[1])
