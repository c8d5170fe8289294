"""What a task's scripts install when they run, moved to build time.

Harbor runs `solve.sh` and `tests/test.sh` with the network on, and Terminal-Bench 2's
verifiers fetch `uv` and pytest when they start (`curl .../uv/install.sh | sh`, then
`uvx -w pytest==8.4.1 pytest /tests/test_outputs.py`). Here the agent's turn and the
verifier run with the network off, so the packages those scripts name are installed
into the environment when it is built, and the scripts' own install commands become
`true`:

- `apt-get install P...` in either script: P installed with apt at build time.
- `pip install P...` in test.sh, and what `uvx`/`uv run` pull in (`-w`/`--with`, the
  tool itself): installed at build time into a directory of the verifier's own
  (VERIFIER_SITE), on its PATH and PYTHONPATH only while the verifier runs; `uvx` and
  `uv` there are shims that run the installed tool.
- `pip install P...` in solve.sh: P installed into the system's Python at build time,
  and the line kept (pip finds the requirement satisfied without the network).
- the uv installer (`curl ... astral.sh/uv ... | sh`) and `source $HOME/.local/bin/env`.

Nothing here hides what the oracle installs from the agent: the packages are in the
environment it works in (docs/harbor.md, "What the agent can learn").
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

VERIFIER_DIR = "/opt/wwabench-verifier"
VERIFIER_SITE = f"{VERIFIER_DIR}/site"
VERIFIER_BIN = f"{VERIFIER_DIR}/bin"

# One simple command: up to the next ;, &&, ||, | or end of line (quotes are not
# special-cased: install commands do not quote their separators).
_SEGMENT_END = r"(?=\s*(?:;|&&|\|\||\||$))"
_APT = re.compile(
    r"\b(?:sudo\s+)?(?:apt-get|apt)\s+(?:[-\w=.]+\s+)*?(install|update|upgrade)\b[^;&|\n]*"
    + _SEGMENT_END,
    re.M,
)
_PIP = re.compile(
    r"\b(?:(?:python3?|/usr/bin/python3?)\s+-m\s+pip|pip3?|uv\s+pip)\s+install\b[^;&|\n]*"
    + _SEGMENT_END,
    re.M,
)
_UV_INSTALLER = re.compile(
    r"\b(?:curl|wget)\b[^;&|\n]*astral\.sh/uv[^|\n]*\|\s*(?:env\s+\S+\s+)*(?:sh|bash)\b[^;&|\n]*",
    re.M,
)
_UV_ENV = re.compile(
    r"(?:\bsource|^\s*\.|(?<=[;&|]\s)\.)\s+[\"']?(?:\$HOME|\$\{HOME\}|~|/root)/\.(?:local/bin|cargo)/env[\"']?",
    re.M,
)
_UVX = re.compile(r"\buvx\b([^;&|\n]*)" + _SEGMENT_END, re.M)
_UV_RUN = re.compile(r"\buv\s+run\b([^;&|\n]*)" + _SEGMENT_END, re.M)
# Options of pip install whose next word is a value, not a package.
_PIP_VALUED = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url",
               "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix",
               "--root", "--python", "-p"}  # fmt: skip
_UV_VALUED = {"-p", "--python", "--from", "-w", "--with", "--index-url", "--extra-index-url",
              "--with-requirements", "--directory", "--project"}  # fmt: skip


@dataclass
class Installs:
    apt: set[str] = field(default_factory=set)
    pip: set[str] = field(default_factory=set)  # into the system's Python (solve.sh)
    verifier_pip: set[str] = field(default_factory=set)  # into VERIFIER_SITE (test.sh)
    notes: list[str] = field(default_factory=list)


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def _apt_packages(segment: str) -> list[str]:
    words = _words(segment)
    if "install" not in words:
        return []
    after = words[words.index("install") + 1 :]
    # Version pins name another distribution's versions (Ubuntu's): the name is kept.
    return [w.split("=", 1)[0] for w in after if not w.startswith("-") and "$" not in w]


def _pip_packages(segment: str) -> list[str]:
    words = _words(segment)
    after = words[words.index("install") + 1 :]
    out, skip = [], False
    for w in after:
        if skip:
            skip = False
        elif w in _PIP_VALUED:
            skip = True
        elif not w.startswith("-") and "$" not in w and "/" not in w:
            out.append(w)
    return out


def _uv_tool(args: str, with_option: bool) -> tuple[list[str], list[str]]:
    """(packages, the command and its arguments) of `uvx ARGS` or `uv run ARGS`."""
    words = _words(args)
    packages: list[str] = []
    i = 0
    while i < len(words) and words[i].startswith("-"):
        option, eq, value = words[i].partition("=")
        if option in _UV_VALUED:
            if not eq:
                i += 1
                value = words[i] if i < len(words) else ""
            if option in ("-w", "--with", "--from"):
                packages += [v for v in value.split(",") if v]
        i += 1
    command = words[i:]
    if command and not with_option and command[0] not in ("python", "python3"):
        packages.append(command[0])  # uvx installs the tool it runs
    return packages, command


def join_continuations(script: str) -> str:
    """One line per command: a backslash-newline continues it, as bash reads it."""
    return re.sub(r"\\\r?\n", " ", script)


def find(solve_sh: str, test_sh: str) -> Installs:
    found = Installs()
    solve_sh, test_sh = join_continuations(solve_sh), join_continuations(test_sh)
    for name, text in (("solve.sh", solve_sh), ("tests/test.sh", test_sh)):
        for match in _APT.finditer(text):
            found.apt.update(_apt_packages(match.group(0)))
        for match in _PIP.finditer(text):
            target = found.verifier_pip if name == "tests/test.sh" else found.pip
            target.update(_pip_packages(match.group(0)))
        if name == "tests/test.sh":
            for match in _UVX.finditer(text):
                found.verifier_pip.update(_uv_tool(match.group(1), with_option=False)[0])
            for match in _UV_RUN.finditer(text):
                found.verifier_pip.update(_uv_tool(match.group(1), with_option=True)[0])
        elif _UVX.search(text) or _UV_RUN.search(text):
            found.notes.append(f"{name} runs uvx or uv run: only the verifier has them")
    # `uvx -w pytest==8.4.1 pytest` names pytest twice: the pinned one is kept.
    pinned = {re.split(r"[=<>~!\[ ]", p, maxsplit=1)[0].lower() for p in found.verifier_pip}
    found.verifier_pip -= {
        p
        for p in pinned
        if p in found.verifier_pip
        and any(q.lower().startswith(p) and q.lower() != p for q in found.verifier_pip)
    }
    return found


def unpin_apt(command: str) -> str:
    """`apt-get install name=version` without the version: pins name another
    distribution's versions (an Ubuntu image's), which Debian does not have."""

    def one(match: re.Match[str]) -> str:
        segment = match.group(0)
        if "install" not in segment:
            return segment
        return re.sub(r"(?<=\s)([a-z0-9][a-z0-9+.-]*)=[^\s;&|]+", r"\1", segment)

    return _APT.sub(one, command)


def rewrite(script: str, *, keep_pip: bool) -> tuple[str, list[str]]:
    """`script` with its network installs made `true` (see the module's docstring), and
    one note per kind of change."""
    notes: list[str] = []
    # Joined first: a `\` line end inside an install must not leave its tail a command.
    script = join_continuations(script)
    patterns = [("the uv installer", _UV_INSTALLER), ("uv's env file", _UV_ENV),
                ("apt-get", _APT)]  # fmt: skip
    if not keep_pip:
        patterns.append(("pip install", _PIP))
    for label, pattern in patterns:
        script, count = pattern.subn("true", script)
        if count:
            notes.append(f"{count} {label} command(s) made `true` (installed at build time)")
    return script, notes


UVX_SHIM = f"""#!/bin/sh
# wwabench: uvx without the network. The packages this verifier asks for were
# installed into {VERIFIER_SITE} when the environment was built; run the tool from there.
while [ $# -gt 0 ]; do
  case "$1" in
    -p|--python|-w|--with|--from|--index-url|--extra-index-url|--with-requirements) shift 2 ;;
    --*=*|-q|--quiet|-v|--verbose|--offline|--no-cache|--isolated|--refresh) shift ;;
    -*) shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || {{ echo "uvx: no command" >&2; exit 2; }}
tool="${{1%%[=<>~!\\[]*}}"
shift
export PYTHONPATH="{VERIFIER_SITE}${{PYTHONPATH:+:$PYTHONPATH}}"
if [ -x "{VERIFIER_SITE}/bin/$tool" ]; then exec python3 "{VERIFIER_SITE}/bin/$tool" "$@"; fi
case "$tool" in python|python3) exec python3 "$@" ;; esac
exec python3 -m "$tool" "$@"
"""

UV_SHIM = f"""#!/bin/sh
# wwabench: uv without the network: `uv run` runs the command with the verifier's
# packages, `uv pip install`, `uv venv` and `uv sync` succeed (their packages are installed).
case "$1" in
  run) shift; exec {VERIFIER_BIN}/uvx "$@" ;;
  pip|venv|sync|self|cache) exit 0 ;;
  --version|version) echo "uv (wwabench shim)"; exit 0 ;;
esac
echo "uv $1: not available offline (wwabench shim)" >&2
exit 2
"""
