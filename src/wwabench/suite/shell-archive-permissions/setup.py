"""Generate a seed-dependent app/ tree for the archive/permissions task."""
import hashlib
import random

NAMES = ["orbit", "quill", "lumen", "ferry", "cobalt", "sprout", "harbor", "pixel", "tundra", "willow"]
VERBS = ["deploy", "backup", "migrate", "rotate", "sync", "cleanup", "report", "restart", "index", "probe"]
WORDS = "fast safe small quiet bright steady plain clear stable simple".split()


def setup(rng: random.Random) -> dict:
    name = rng.choice(NAMES)
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
    verbs = rng.sample(VERBS, 6)
    main = verbs[0]
    link = f"{rng.choice(['run', 'go', 'start', 'launch'])}-{name}"
    token = "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))

    files = {}
    files[f"app/bin/{main}.sh"] = (
        "#!/bin/bash\n"
        f"# main entry point of {name}\n"
        f"echo \"{name} {version} {main} ok {token}\"\n"
    )
    for v in verbs[1:3]:
        files[f"app/bin/{v}.sh"] = f"#!/bin/bash\necho \"{name}: {v} $*\"\n"
    for v in verbs[3:5]:
        sub = rng.choice(["maint", "ops", "tools"])
        files[f"app/scripts/{sub}/{v}.sh"] = f"#!/bin/sh\necho {v}\n"
    files[f"app/bin/{verbs[5]}"] = f"#!/bin/bash\necho helper {verbs[5]}\n"  # already executable, no .sh
    files["app/docs/README.md"] = f"# {name} {version}\n\nA {rng.choice(WORDS)} tool.\n"
    files[f"app/docs/{verbs[1]}.sh.txt"] = f"Notes on {verbs[1]}.sh: run it {rng.choice(WORDS)}ly.\n"
    files["app/etc/settings.conf"] = f"name={name}\nversion={version}\nlevel={rng.randint(1, 9)}\n"
    for i in range(rng.randint(2, 4)):
        files[f"app/lib/{rng.choice(WORDS)}_{i}.py"] = f"VALUE = {rng.randint(1, 999)}\n"
    # junk that must not go into the archive
    files[f"app/bin/{verbs[1]}.sh.tmp"] = "stale copy\n"
    files[f"app/lib/build_{rng.randint(1, 99)}.tmp"] = "temporary\n"
    files["app/.cache/index.dat"] = "cache " * rng.randint(3, 30) + "\n"
    files[f"app/lib/.cache/{rng.choice(WORDS)}.dat"] = "cached\n"
    files[f"app/docs/draft_{rng.randint(1, 9)}.tmp"] = "draft\n"

    prefix = f"{name}-{version}"
    keep = {p: c for p, c in files.items()
            if not p.endswith(".tmp") and "/.cache/" not in p}
    h = hashlib.sha256()
    for p in sorted(prefix + p[len("app"):] for p in keep):
        h.update(p.encode() + b"\0" + keep["app" + p[len(prefix):]].encode() + b"\0")
    return {
        "params": {"name": name, "version": version, "main": main, "link": link,
                   "token": token, "appsum": h.hexdigest()[:20]},
        "files": files,
        "executable": [f"app/bin/{verbs[5]}"],
    }
