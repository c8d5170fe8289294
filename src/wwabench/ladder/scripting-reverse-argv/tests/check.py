"""Checks for scripting-reverse-argv: run the agent's script with fresh arguments."""
import os
import random
import subprocess
import sys
import tempfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
SCRIPT = os.path.abspath(P["script"])
rng = random.Random()
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "november oscar papa quebec romeo sierra tango uniform victor whiskey xray").split()
AWKWARD = ["-n", "-e", "-E", "-ne", "two words", "  padded  ", "*", "*.txt", "a\\nb", "c:\\tmp",
           "100%", "%s", "%d%%", "", "$HOME", "'quoted'", '"dq"', "tab\there", "--", "-"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(args, cwd):
    if not os.path.isfile(SCRIPT):
        fail(f"{P['script']} missing")
    if not os.access(SCRIPT, os.X_OK):
        fail(f"{P['script']} is not executable")
    try:
        r = subprocess.run([SCRIPT] + args, input="", capture_output=True, text=True,
                           timeout=10, cwd=cwd)
    except subprocess.TimeoutExpired:
        fail(f"{P['script']} {args} timed out")
    except OSError as e:
        fail(f"{P['script']} could not run: {e}")
    return r.stdout, r.stderr, r.returncode


def expect(args, cwd):
    got = run(args, cwd)
    want = ("".join(a + "\n" for a in reversed(args)), "", 0)
    if got != want:
        fail(f"arguments {args!r}: got (stdout, stderr, rc) = {got!r}, want {want!r}")


def main(which):
    tmp = tempfile.mkdtemp()
    for name in ("x.txt", "y.txt", "z.log"):  # an unquoted * would expand to these
        open(os.path.join(tmp, name), "w").close()
    if which == "words":
        for n in (1, rng.randint(2, 4), rng.randint(5, 12)):
            expect([rng.choice(WORDS) + rng.choice(["", str(rng.randint(0, 99))])
                    for _ in range(n)], tmp)
    elif which == "awkward":
        expect([], tmp)
        for _ in range(4):
            args = rng.sample(AWKWARD, rng.randint(3, 6)) + [rng.choice(WORDS)]
            rng.shuffle(args)
            expect(args, tmp)
        expect(["-n", "-e", rng.choice(WORDS)], tmp)
        expect(["two words", "", "*", "a\\nb", "%s"], tmp)
    else:
        fail(f"unknown mode {which}")
    print("ok")


main(sys.argv[1])
