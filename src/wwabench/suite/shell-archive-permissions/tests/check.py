"""Checks for shell-archive-permissions."""
import hashlib
import os
import stat
import subprocess
import sys
import tarfile

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check_perms():
    n = 0
    for root, dirs, files in os.walk("app"):
        for f in files:
            p = os.path.join(root, f)
            mode = os.lstat(p).st_mode
            if not stat.S_ISREG(mode):
                continue
            x = mode & 0o111
            if f.endswith(".sh"):
                n += 1
                if x != 0o111:
                    fail(f"{p} is not executable by everyone ({oct(mode & 0o777)})")
            elif "/bin/" in p + "/" and "." not in f:
                if x != 0o111:
                    fail(f"{p} lost its executable mode ({oct(mode & 0o777)})")
            elif x:
                fail(f"{p} should not be executable ({oct(mode & 0o777)})")
    if n < 5:
        fail(f"only {n} .sh files found under app/")


def check_link():
    link = P["link"]
    if not os.path.islink(link):
        fail(f"{link} is not a symlink")
    target = os.readlink(link)
    if os.path.isabs(target):
        fail(f"{link} has an absolute target {target}")
    want = os.path.realpath(f"app/bin/{P['main']}.sh")
    if os.path.realpath(link) != want:
        fail(f"{link} resolves to {os.path.realpath(link)}, not {want}")
    r = subprocess.run(["./" + link], capture_output=True, text=True, timeout=10)
    exp = f"{P['name']} {P['version']} {P['main']} ok {P['token']}\n"
    if r.returncode != 0 or r.stdout != exp:
        fail(f"./{link} gave rc={r.returncode} out={r.stdout!r} err={r.stderr!r}")


def check_archive():
    prefix = f"{P['name']}-{P['version']}"
    path = f"dist/{prefix}.tar.gz"
    if not os.path.isfile(path):
        fail(f"{path} missing")
    with open(path, "rb") as fh:
        if fh.read(2) != b"\x1f\x8b":
            fail(f"{path} is not gzip-compressed")
    try:
        tf = tarfile.open(path, "r:gz")
        members = tf.getmembers()
    except Exception as e:  # noqa: BLE001
        fail(f"cannot read {path}: {e}")
    entries = {}
    for m in members:
        name = m.name
        while name.startswith("./"):
            name = name[2:]
        name = name.rstrip("/")
        if name != prefix and not name.startswith(prefix + "/"):
            fail(f"entry {m.name} is not under {prefix}/")
        if m.isfile():
            entries[name] = (tf.extractfile(m).read(), m.mode)
        elif not m.isdir():
            fail(f"unexpected non-file entry {m.name}")
    h = hashlib.sha256()
    for p in sorted(entries):
        h.update(p.encode() + b"\0" + entries[p][0] + b"\0")
    if h.hexdigest()[:20] != P["appsum"]:
        fail("archive entries or contents are not the expected ones: " + ", ".join(sorted(entries)))
    for p, (_, mode) in entries.items():
        if p.endswith(".sh") and mode & 0o111 != 0o111:
            fail(f"{p} is not executable in the archive ({oct(mode)})")


{"perms": check_perms, "link": check_link, "archive": check_archive}[sys.argv[1]]()
print("ok")
