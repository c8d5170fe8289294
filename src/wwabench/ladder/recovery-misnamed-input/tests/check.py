"""Checks for recovery-misnamed-input: the readings under the configured name, and the summary."""
import csv
import hashlib
import os
import sys

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("WWA_")}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def read(path, mode="r"):
    try:
        with open(path, mode) as fh:
            return fh.read()
    except OSError:
        fail(f"{path} does not exist")


def summary(path):
    stats = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            stats.setdefault(row["station"], []).append(float(row["value"]))
    lines = ["station count min max mean"]
    for st in sorted(stats):
        v = stats[st]
        lines.append(f"{st} {len(v)} {min(v):.1f} {max(v):.1f} {sum(v) / len(v):.2f}")
    return "\n".join(lines) + "\n"


src = f"data/{P['want']}"
if hashlib.sha256(read(src, "rb")).hexdigest() != P["datasum"]:
    fail(f"{src} does not hold the original readings")
which = sys.argv[1]
if which == "input":
    tool = P["tool"]
    code = read(f"{tool}.py") + "\0" + read(f"{tool}.json")
    if hashlib.sha256(code.encode()).hexdigest() != P["codesum"]:
        fail(f"{tool}.py or {tool}.json was modified")
elif which == "output":
    got = read(P["out"])
    want = summary(src)
    if got != want:
        fail(f"{P['out']} is wrong:\n--- got\n{got[:600]}--- want\n{want[:600]}")
print("ok")
