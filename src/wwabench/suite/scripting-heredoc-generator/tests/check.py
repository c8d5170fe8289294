"""Checks for scripting-heredoc-generator: run the agent's script with fresh arguments."""
import os
import random
import shutil
import subprocess
import sys
import tempfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}
SCRIPT, ROOT, SECTION, VAR = P["script"], P["root"], P["section"], P["envvar"]
rng = random.Random()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def fresh_dir():
    if not os.path.isfile(SCRIPT):
        fail(f"{SCRIPT} missing")
    if not os.access(SCRIPT, os.X_OK):
        fail(f"{SCRIPT} is not executable")
    d = tempfile.mkdtemp()
    shutil.copy2(SCRIPT, os.path.join(d, SCRIPT))
    return d


def run(d, *args):
    env = dict(os.environ)
    env[VAR] = "/expanded/" + VAR.lower()  # an unescaped $VAR would show up
    try:
        r = subprocess.run(["./" + SCRIPT, *args], cwd=d, capture_output=True, text=True, timeout=10, env=env)
    except subprocess.TimeoutExpired:
        fail(f"{SCRIPT} {args} timed out")
    return r.stdout, r.stderr, r.returncode


def snapshot(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for x in dirs:
            out[os.path.relpath(os.path.join(root, x), d)] = None
        for x in files:
            p = os.path.join(root, x)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = fh.read()
    return out


def name():
    return rng.choice("abcdefghijklmnopqrstuvwxyz") + "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(rng.randint(2, 9)))


def conf(n, p):
    return f"# generated for {n}\n[{SECTION}]\nname = {n}\nport = {p}\nlog_dir = ${VAR}/{n}\n"


def check_conf():
    d = fresh_dir()
    for _ in range(2):
        n, p = name(), str(rng.randint(1024, 65535))
        got = run(d, n, p)
        if got != (f"created {ROOT}/{n}\n", "", 0):
            fail(f"{SCRIPT} {n} {p}: got (stdout, stderr, rc) = {got}")
        path = os.path.join(d, ROOT, n, "service.conf")
        if not os.path.isfile(path):
            fail(f"{ROOT}/{n}/service.conf missing")
        with open(path) as fh:
            text = fh.read()
        if text != conf(n, p):
            fail(f"service.conf differs:\n--- got\n{text}--- want\n{conf(n, p)}")


def check_main():
    d = fresh_dir()
    for _ in range(2):
        n, p = name(), str(rng.randint(1024, 65535))
        run(d, n, p)
        path = os.path.join(ROOT, n, "main.py")
        if not os.path.isfile(os.path.join(d, path)):
            fail(f"{path} missing")
        with open(os.path.join(d, path)) as fh:
            if fh.readline().strip() != "#!/usr/bin/env python3":
                fail(f"{path} lacks the #!/usr/bin/env python3 line")
        try:
            r = subprocess.run(["./" + path], cwd=d, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            fail(f"./{path} could not run: {e}")
        if (r.stdout, r.returncode) != (f"{n} listening on port {p}\n", 0):
            fail(f"./{path}: rc={r.returncode} out={r.stdout!r} err={r.stderr!r}")


def check_registry():
    d = fresh_dir()
    os.makedirs(os.path.join(d, ROOT))
    old = "".join(f"{name()} {rng.randint(1024, 65535)}\n" for _ in range(rng.randint(1, 3)))
    reg = os.path.join(d, ROOT, "registry.txt")
    with open(reg, "w") as fh:
        fh.write(old)
    added = ""
    for _ in range(2):
        n, p = name(), str(rng.randint(1024, 65535))
        if run(d, n, p)[2] != 0:
            fail(f"{SCRIPT} {n} {p} failed")
        added += f"{n} {p}\n"
    with open(reg) as fh:
        text = fh.read()
    if text != old + added:
        fail(f"registry.txt differs:\n--- got\n{text}--- want\n{old + added}")
    # and created from scratch when missing
    d = fresh_dir()
    n, p = name(), str(rng.randint(1024, 65535))
    run(d, n, p)
    try:
        with open(os.path.join(d, ROOT, "registry.txt")) as fh:
            text = fh.read()
    except OSError:
        fail("registry.txt not created")
    if text != f"{n} {p}\n":
        fail(f"new registry.txt is {text!r}")


def check_errors():
    d = fresh_dir()
    usage = f"usage: {SCRIPT} NAME PORT\n"
    n = name()
    bad = [(), (n,), (n, "8080", "x"), (n, "80"), (n, "65536"), (n, "12ab"), (n, "-2000"),
           ("Bad" + n, "8080"), ("9" + n, "8080"), (n + "-x", "8080"), ("", "8080")]
    for args in rng.sample(bad[:3], 2) + rng.sample(bad[3:], 5):
        before = snapshot(d)
        got = run(d, *args)
        if got != ("", usage, 1):
            fail(f"{SCRIPT} {list(args)}: got (stdout, stderr, rc) = {got}, want ('', {usage!r}, 1)")
        if snapshot(d) != before:
            fail(f"{SCRIPT} {list(args)} changed files")
    p = str(rng.randint(1024, 65535))
    if run(d, n, p)[2] != 0:
        fail(f"{SCRIPT} {n} {p} failed")
    with open(os.path.join(d, ROOT, n, "service.conf"), "a") as fh:
        fh.write("# local edit\n")
    before = snapshot(d)
    got = run(d, n, str(rng.randint(1024, 65535)))
    if got != ("", f"error: {n} already exists\n", 2):
        fail(f"existing service: got {got}")
    if snapshot(d) != before:
        fail("rerun on an existing service changed files")


{"conf": check_conf, "main": check_main, "registry": check_registry, "errors": check_errors}[sys.argv[1]]()
print("ok")
