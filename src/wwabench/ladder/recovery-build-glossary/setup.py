"""A glossary project whose ./build.sh fails three times in a row: a broken fallback for
a missing compressor (`ZIP=bzip2 -9` runs `-9`), a path to term files that have moved,
and a unit test that fails because the code sorts with the locale's collation (plain
code-point order under C.UTF-8) where dictionary order ignoring case is meant."""
import hashlib
import random

PKGS = ["lexicon", "glossa", "termbook", "wordlist", "jargon"]
# (fast tool the project does not ship in tools/, installed fallback, tarball extension):
# the fallback runs whatever the host has installed
ZIPS = [("pigz", "gzip", "gz"), ("pbzip2", "bzip2", "bz2"), ("pixz", "xz", "xz")]
MOVES = [("terms", "docs/terms"), ("glossary", "content/glossary"), ("data", "share/terms"),
         ("entries", "src/entries")]
TERMS = ["API", "awk", "bash", "Bash", "CPU", "cache", "Docker", "daemon", "Emacs", "editor",
         "Fortran", "fork", "Git", "git", "grep", "HTTP", "hash", "inode", "Java", "json",
         "Kernel", "kernel", "Linux", "lambda", "Make", "mutex", "NFS", "null", "OAuth", "opcode",
         "Python", "pipe", "Queue", "regex", "Rust", "shell", "SQL", "socket", "TCP", "thread",
         "Unix", "utf", "Vim", "vector", "Wasm", "widget", "XML", "yaml", "Zsh", "zlib"]
WORDS = ["a", "small", "tool", "for", "the", "data", "fast", "old", "network", "file", "text",
         "program", "system", "language", "format", "process", "way", "to", "store", "run"]
TEST_SETS = [
    (["bash", "Docker", "awk", "API"], ["API", "awk", "bash", "Docker"]),
    (["zlib", "Make", "grep", "Fortran"], ["Fortran", "grep", "Make", "zlib"]),
    (["socket", "Python", "json", "Linux"], ["json", "Linux", "Python", "socket"]),
    (["thread", "Rust", "opcode", "NFS"], ["NFS", "opcode", "Rust", "thread"]),
]
TIES = [("go", "Go"), ("unix", "Unix"), ("lisp", "Lisp"), ("perl", "Perl")]

GLOSSARY_PY = '''"""Render glossary files (`term: definition` lines) as one sorted glossary."""
import locale
import sys


def parse(text):
    """(term, definition) pairs from `term: definition` lines; blank lines and lines
    starting with # are skipped."""
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        term, _, definition = line.partition(":")
        entries.append((term.strip(), definition.strip()))
    return entries


def render(entries):
    """One `term - definition` line per entry, in dictionary order: terms are compared
    ignoring case, and terms equal apart from case are in plain character order (so
    upper case first: `Go` before `go`)."""
    locale.setlocale(locale.LC_COLLATE, "")
    ordered = sorted(entries, key=lambda entry: locale.strxfrm(entry[0]))
    return "".join(f"{term} - {definition}\\n" for term, definition in ordered)


def main(paths):
    entries = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            entries.extend(parse(fh.read()))
    sys.stdout.write(render(entries))


if __name__ == "__main__":
    main(sys.argv[1:])
'''

TEST_PY = '''import unittest

from PKG.glossary import parse, render


class ParseTest(unittest.TestCase):
    def test_lines(self):
        text = "# comment\\n\\n  Foo :  a thing \\nbar: another: one\\n"
        self.assertEqual(parse(text), [("Foo", "a thing"), ("bar", "another: one")])


class RenderTest(unittest.TestCase):
    def test_dictionary_order_ignores_case(self):
        entries = [(term, "x") for term in INPUT]
        terms = [line.split(" - ")[0] for line in render(entries).splitlines()]
        self.assertEqual(terms, EXPECTED)

    def test_terms_equal_apart_from_case(self):
        entries = [("LOW", "the lower one"), ("UP", "the upper one")]
        self.assertEqual(render(entries), "UP - the upper one\\nLOW - the lower one\\n")

    def test_format(self):
        self.assertEqual(render([("b", "two"), ("a", "one")]), "a - one\\nb - two\\n")


if __name__ == "__main__":
    unittest.main()
'''

BUILD_SH = '''#!/bin/bash
# Build PKG: render the glossary from the term files, run the unit tests and
# package dist/PKG-VERSION.tar.EXT
set -euo pipefail
cd "$(dirname "$0")"
version=$(cat VERSION)

# compress with the project's own copy of FAST when there is one (parallel), with SLOW otherwise
if [ -x tools/FAST ]; then
    ZIP="tools/FAST -9"
else
    ZIP=SLOW -9
fi

echo "== glossary"
rm -rf build
mkdir -p build
python3 -m PKG.glossary OLDDIR/*.txt > build/glossary.txt
echo "== test"
python3 -m unittest discover -s tests -t .
echo "== package"
mkdir -p dist
tar -cf - --exclude=__pycache__ PKG build/glossary.txt VERSION | $ZIP > "dist/PKG-$version.tar.EXT"
echo "built dist/PKG-$version.tar.EXT"
'''


def term_file(rng, terms):
    lines = [f"# {rng.choice(['core', 'tools', 'misc'])} terms"]
    for t in terms:
        lines.append(f"{t}: {' '.join(rng.sample(WORDS, rng.randint(2, 5)))}")
        if rng.random() < 0.2:
            lines.append("")
    return "\n".join(lines) + "\n"


def setup(rng: random.Random) -> dict:
    pkg = rng.choice(PKGS)
    fast, slow, ext = rng.choice(ZIPS)
    olddir, newdir = rng.choice(MOVES)
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
    inp, exp = rng.choice(TEST_SETS)
    inp = rng.sample(inp, len(inp))
    while inp == exp:
        inp = rng.sample(inp, len(inp))
    low, up = rng.choice(TIES)
    test = (TEST_PY.replace("PKG", pkg).replace("INPUT", repr(inp)).replace("EXPECTED", repr(exp))
            .replace("LOW", low).replace("UP", up))
    build = (BUILD_SH.replace("PKG", pkg).replace("FAST", fast).replace("SLOW", slow)
             .replace("EXT", ext).replace("OLDDIR", olddir))
    # the term files: distinct terms (exact duplicates would make the order ambiguous)
    terms = rng.sample(TERMS, rng.randint(18, 28))
    names = rng.sample(["core", "tools", "systems", "web", "misc", "lang"], rng.randint(2, 3))
    files = {
        "build.sh": build,
        "VERSION": version + "\n",
        f"{pkg}/__init__.py": f'"""{pkg}: a glossary of computing terms."""\n',
        f"{pkg}/glossary.py": GLOSSARY_PY,
        "tests/__init__.py": "",
        "tests/test_glossary.py": test,
        "README.md": (f"# {pkg}\n\nA glossary of computing terms. The term files (`term: definition`, "
                      f"one per line) are `{newdir}/*.txt`.\n\nBuild: `./build.sh` renders the glossary, "
                      f"runs the tests and writes `dist/{pkg}-VERSION.tar.{ext}`.\n"),
    }
    for i, name in enumerate(names):
        files[f"{newdir}/{name}.txt"] = term_file(rng, terms[i::len(names)])
    # what must stay as it is: every file under tests/ and the term directory
    h = hashlib.sha256()
    for p in sorted(p for p in files if p.startswith(("tests/", newdir + "/"))):
        h.update(p.encode() + b"\0" + files[p].encode() + b"\0")
    newa, newb = newdir.split("/", 1)
    return {
        "params": {"pkg": pkg, "fast": fast, "slow": slow, "ext": ext, "olddir": olddir,
                   "newa": newa, "newb": newb, "version": version,
                   "fixedsum": h.hexdigest()},
        "files": files,
        "executable": ["build.sh"],
    }
