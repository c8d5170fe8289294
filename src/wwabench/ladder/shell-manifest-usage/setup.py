"""Generate a seed-dependent store/ tree and an ownership manifest with awkward paths."""
import hashlib
import os
import random

OWNERS = ["alice", "bob", "carol", "dmitri", "erin", "ops-team", "ci_bot", "web.admin", "frank", "zoe"]
PROJECTS = ["Project Alpha", "web-site", "data (raw)", "ml models", "-scratch", "docs", "café notes",
            "build#7", "Q3 review", "old-site"]
SUBS = ["", "", "src", "src/lib", "assets/img", "old versions", "-tmp", "notes #2"]
STEMS = ["main", "README", "-draft notes", "report #3", "my file (1)", "index", "résumé", "--version",
         "-n", "data set", "log 2024", "todo", "Übersicht", "plan (final) v2", "a", "Z"]
EXTS = [".txt", ".md", ".csv", ".json", ".py", ""]
WORDS = ("the of and data report value café naïve Übung 日本 résumé total owner block size file "
         "count line alpha beta gamma piñata façade").split()


def _content(rng, approx):
    out, n = [], 0
    while n < approx:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w.encode()) + 1
    return " ".join(out) + "\n"


def setup(rng: random.Random) -> dict:
    owners = rng.sample(OWNERS, 5)
    zero = owners[4]
    projs = rng.sample(PROJECTS, 4)
    manifest = f"owners_{rng.randint(10, 99)}.tsv"
    report = f"usage_{rng.randint(100, 999)}.txt"
    missing_out = f"missing_{rng.randint(100, 999)}.txt"

    files = {}           # store-relative path -> content
    reach = {o: set() for o in owners}
    lines = []           # (owner, path as written)
    missing = []
    loose = {o: [] for o in owners}
    used_lower = set()

    def add(rel, content):
        assert rel not in files
        files[rel] = content
        used_lower.add(rel.lower())

    def fresh(prefix):
        while True:
            sub = rng.choice(SUBS)
            rel = prefix + (sub + "/" if sub else "") + rng.choice(STEMS) + rng.choice(EXTS)
            if rel.lower() not in used_lower and not any(r.startswith(rel + "/") for r in files):
                return rel

    for i, o in enumerate(owners[:4]):
        d = projs[i]
        mine = []
        for _ in range(rng.randint(4, 8)):
            rel = fresh(d + "/")
            add(rel, _content(rng, rng.choice([0, 50, 300, 1200, 4000, 9000])) if rng.random() > 0.08 else "")
            mine.append(rel)
        reach[o].update(mine)
        lines.append((o, d + rng.choice(["", "/"])))
        # the same files reached again
        again = rng.choice(mine)
        if "/" in again[len(d) + 1:] and rng.random() < 0.5:
            lines.append((o, os.path.dirname(again) + rng.choice(["", "/"])))
        else:
            lines.append((o, again))
        # loose files in store/ itself or in shared/
        for k in range(rng.randint(2, 3)):
            while True:
                rel = rng.choice(["", "shared/"]) + rng.choice(STEMS) + rng.choice(EXTS)
                if i == 0 and k == 0:  # always one listed path that starts with a dash
                    rel = rng.choice(["-draft notes", "--version", "-n"]) + rng.choice(EXTS)
                if rel.lower() not in used_lower:
                    break
            add(rel, _content(rng, rng.randint(10, 3000)))
            reach[o].add(rel)
            loose[o].append(rel)
            lines.append((o, rel))
        lines.append((o, rng.choice(loose[o])))       # listed twice
        while True:
            typo = rng.choice(loose[o] + mine)
            miss = typo + ".bak" if rng.random() < 0.5 else typo.replace("e", "3", 1) + "~"
            if miss.lower() not in used_lower:
                break
        lines.append((o, miss))
        missing.append(miss)
    # the owner whose lines reach nothing
    gone = rng.choice(["old stuff/", "archive 2019/", "-legacy/"])
    lines += [(zero, gone), (zero, gone), (zero, "shared/" + rng.choice(STEMS) + ".old")]
    missing += [gone, lines[-1][1]]
    used_lower.add(lines[-1][1].lower())
    # files nobody owns
    for _ in range(rng.randint(3, 6)):
        while True:
            rel = rng.choice(["shared/", "tmp/", "tmp/cache/"]) + rng.choice(STEMS) + rng.choice(EXTS)
            if rel.lower() not in used_lower:
                break
        add(rel, _content(rng, rng.randint(10, 3000)))
    big = "tmp/big blob.dat"
    add(big, _content(rng, rng.randint(20000, 40000)))

    # two owners with the same total: pad a loose file of the smaller one
    def total(o):
        return sum(len(files[r].encode()) for r in reach[o])
    a, b = rng.sample(owners[:4], 2)
    if total(a) > total(b):
        a, b = b, a
    diff = total(b) - total(a)
    if diff:
        rel = loose[a][0]
        files[rel] = files[rel][:-1] + "z" * diff + "\n"
    assert total(a) == total(b)

    # symbolic links inside listed directories: never counted, never followed
    links = []
    for i in rng.sample(range(4), 2):
        d = projs[i]
        links.append((big, f"{d}/big link.dat"))
        other = projs[(i + 1) % 4]
        links.append((other, f"{d}/{rng.choice(['mirror', 'other (link)', '-peer'])}"))
    link_lines = ""
    for target, link in links:
        rel_target = os.path.relpath(target, os.path.dirname(link) or ".")
        link_lines += f"{rel_target}\tstore/{link}\n"

    rng.shuffle(lines)
    body = [f"# ownership manifest for store/ ({len(lines)} entries)", "# owner<TAB>path (relative to store/)", ""]
    for k, (o, p) in enumerate(lines):
        body.append(f"{o}\t{p}")
        if k % 7 == 6:
            body.append(rng.choice(["", f"#{rng.choice(owners)}\tretired/{rng.choice(STEMS)}.txt"]))
    out = {f"store/{r}": c for r, c in files.items()}
    out[manifest] = "\n".join(body) + "\n"
    out[".wwa-links"] = link_lines

    h = hashlib.sha256()
    for r in sorted(files):
        h.update(r.encode() + b"\0" + files[r].encode() + b"\0")
    for link in sorted(link for _, link in links):
        h.update(b"L" + link.encode() + b"\0")
    h.update(out[manifest].encode())
    return {
        "params": {"manifest": manifest, "report": report, "missing": missing_out,
                   "storesum": h.hexdigest()[:20]},
        "files": out,
    }
