"""textkit: five small modules; the seed puts a syntax error (a missing colon) into one
module and a logic bug, caught by the visible tests, into another."""
import random

MODULES = {
    "slug": '''"""URL slugs."""
import re


def slugify(text):
    """Lower-case words joined by single dashes: 'Hello, World!' -> 'hello-world'."""
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", "-", text)
    return text.strip("-")
''',
    "wrap": '''"""Greedy word wrapping."""


def wrap(text, width):
    """Split text into lines of at most width characters (longer words stand alone)."""
    lines = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines
''',
    "stats": '''"""Word frequencies."""
import re


def top_words(text, n):
    """The n most frequent words as (word, count), ties broken alphabetically."""
    counts = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]
''',
    "roman": '''"""Roman numerals."""

PAIRS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"),
    (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
    (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]


def to_roman(number):
    """1 <= number <= 3999 as a Roman numeral."""
    if not 1 <= number <= 3999:
        raise ValueError(f"out of range: {number}")
    out = []
    for value, symbol in PAIRS:
        while number >= value:
            out.append(symbol)
            number -= value
    return "".join(out)
''',
    "cipher": '''"""Caesar cipher."""


def caesar(text, shift):
    """Shift letters by shift places, keeping case; other characters stay."""
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")))
        elif "A" <= ch <= "Z":
            out.append(chr((ord(ch) - ord("A") + shift) % 26 + ord("A")))
        else:
            out.append(ch)
    return "".join(out)
''',
}

# (correct text, buggy text); each is caught by the visible tests
BUGS = {
    "slug": [('r"[^a-z0-9]+"', 'r"[^a-z0-9]"'), ('text.strip("-")', 'text.lstrip("-")')],
    "wrap": [("<= width", "< width"), ("    if current:\n        lines.append(current)\n", "")],
    "stats": [("key=lambda kv: (-kv[1], kv[0]))", "key=lambda kv: (kv[1], kv[0]), reverse=True)"),
              ("text.lower()", "text")],
    "roman": [('(90, "XC"), ', ""), ('(400, "CD")', '(400, "CCCC")')],
    "cipher": [("% 26 + ord(\"a\")", "% 25 + ord(\"a\")"),
               ('% 26 + ord("A")', '% 26 + ord("a")')],
}
ORDER = ["slug", "wrap", "stats", "roman", "cipher"]


def setup(rng: random.Random) -> dict:
    smod, bmod = rng.sample(ORDER, 2)
    bug = rng.randrange(2)
    files = {}
    for name in ORDER:
        src = MODULES[name]
        if name == bmod:
            old, new = BUGS[name][bug]
            assert src.count(old) == 1, (name, old)
            src = src.replace(old, new)
        if name == smod:
            lines = src.split("\n")
            cands = [i for i, line in enumerate(lines)
                     if line.endswith(":") and line.strip().split(" ")[0] in ("def", "for", "if", "elif", "else:", "while")]
            i = rng.choice(cands)
            lines[i] = lines[i][:-1]
            sline = str(i + 1)
            src = "\n".join(lines)
        files[f"textkit/{name}.py"] = src
    version = f"{rng.randint(0, 3)}.{rng.randint(1, 20)}.{rng.randint(0, 9)}"
    files["VERSION"] = version + "\n"
    variant = f"v{ORDER.index(smod)}{ORDER.index(bmod)}{bug}"
    return {"params": {"version": version, "smod": smod, "sline": sline, "bmod": bmod,
                       "variant": variant},
            "files": files}
