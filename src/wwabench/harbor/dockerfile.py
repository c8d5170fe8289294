"""The subset of the Dockerfile language a Harbor environment may use here.

A Dockerfile becomes a base image and a list of steps (`RUN`, `COPY`/`ADD` of files
from the build context, `WORKDIR`, `ENV`), replayed into a Debian root file system by
`rootfs.py`. Instructions that only describe how Docker would start the container
(`CMD`, `ENTRYPOINT`, `EXPOSE`, `LABEL`, ...) change nothing here and are noted;
anything else (a second stage, `COPY --from`, `ADD` of a URL, `USER`) is refused with
the line and the reason, so a task that cannot be built says why.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

# Instructions that only concern a running Docker container; ignoring them changes
# nothing in the files of the environment.
IGNORED = frozenset(
    {"CMD", "ENTRYPOINT", "EXPOSE", "LABEL", "MAINTAINER", "HEALTHCHECK", "STOPSIGNAL", "VOLUME"}
)
DOCKER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # images' PATH
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")


class DockerfileError(ValueError):
    """A Dockerfile this importer cannot replay: the line and the reason."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]  # the shell and the command (shell form), or the exec form's
    line: int


@dataclass(frozen=True)
class Copy:
    sources: tuple[str, ...]  # relative to the build context
    dest: str  # absolute, WORKDIR already applied
    line: int


@dataclass(frozen=True)
class Workdir:
    path: str  # absolute
    line: int


@dataclass(frozen=True)
class Env:
    values: tuple[tuple[str, str], ...]
    line: int
    persist: bool = True  # ENV; an ARG's value is only seen by the build's RUN steps


Step = Run | Copy | Workdir | Env


@dataclass(frozen=True)
class Dockerfile:
    base: str  # the FROM image, e.g. "python:3.13-slim"
    steps: tuple[Step, ...]
    workdir: str | None  # the last WORKDIR (the container's working directory)
    env: tuple[tuple[str, str], ...]  # every ENV, in order: the container's environment
    notes: tuple[str, ...] = field(default=())  # instructions ignored, and why


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, instruction) with continuations joined and comments dropped."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # a comment inside a continued instruction is dropped by Docker too
        if not buf:
            start = number
        if raw.rstrip().endswith("\\"):
            buf.append(raw.rstrip()[:-1])
            continue
        buf.append(raw)
        out.append((start, " ".join(part.strip() for part in buf if part.strip())))
        buf = []
    if buf:
        out.append((start, " ".join(part.strip() for part in buf if part.strip())))
    return out


def substitute(text: str, variables: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` from ENV and ARG; unknown names become empty, as in Docker."""

    def one(match: re.Match[str]) -> str:
        return variables.get(match.group(1) or match.group(2), "")

    return _VAR.sub(one, text)


def _exec_form(args: str) -> list[str] | None:
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _flags(args: str, path: Path, line: int, allowed: set[str]) -> tuple[dict[str, str], str]:
    flags: dict[str, str] = {}
    rest = args
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        name, _, value = word[2:].partition("=")
        if name not in allowed:
            raise DockerfileError(path, line, f"--{name} is not supported")
        flags[name] = value
        rest = rest.lstrip()
    return flags, rest


def _env_pairs(args: str, path: Path, line: int) -> list[tuple[str, str]]:
    words = shlex.split(args)
    if not words:
        raise DockerfileError(path, line, "ENV needs a name and a value")
    if "=" not in words[0]:  # the legacy form: ENV NAME the rest of the line
        name, _, value = args.partition(" ")
        return [(name, value.strip())]
    pairs = []
    for word in words:
        name, eq, value = word.partition("=")
        if not eq or not name:
            raise DockerfileError(path, line, f"{word!r} is not NAME=value")
        pairs.append((name, value))
    return pairs


def parse(path: Path) -> Dockerfile:
    """The Dockerfile at `path`, or DockerfileError naming the first line it cannot take."""
    text = path.read_text()
    base: str | None = None
    steps: list[Step] = []
    notes: list[str] = []
    variables: dict[str, str] = {"PATH": DOCKER_PATH}  # `ENV PATH=/x:$PATH` extends it
    env: list[tuple[str, str]] = []
    workdir: str | None = None
    shell: tuple[str, ...] = ("/bin/sh", "-c")
    for line, instruction in _logical_lines(text):
        if instruction.startswith("#"):
            continue
        keyword, _, args = instruction.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            if base is not None:
                raise DockerfileError(path, line, "a second FROM (multi-stage builds)")
            _, rest = _flags(args, path, line, {"platform"})
            image = substitute(rest.split()[0], variables) if rest.split() else ""
            if not image:
                raise DockerfileError(path, line, "FROM names no image")
            base = image
        elif keyword == "ARG":
            name, eq, value = args.partition("=")
            name = name.strip()
            if name not in variables:
                variables[name] = substitute(value.strip().strip('"'), variables) if eq else ""
                if base is not None:
                    steps.append(Env(((name, variables[name]),), line, persist=False))
        elif base is None:
            raise DockerfileError(path, line, f"{keyword} before FROM")
        elif keyword == "RUN":
            _, rest = _flags(args, path, line, set())
            argv = _exec_form(rest)
            steps.append(Run(tuple(argv) if argv is not None else (*shell, rest), line))
        elif keyword in ("COPY", "ADD"):
            _, rest = _flags(args, path, line, {"chown", "chmod", "link"})
            argv = _exec_form(rest)
            words = argv if argv is not None else shlex.split(substitute(rest, variables))
            if len(words) < 2:
                raise DockerfileError(path, line, f"{keyword} needs a source and a destination")
            sources = tuple(words[:-1])
            for source in sources:
                if keyword == "ADD" and re.match(r"[a-z]+://", source):
                    raise DockerfileError(path, line, f"ADD of a URL ({source}) needs the network")
                if keyword == "ADD" and re.search(r"\.(tar|tgz|tar\.\w+)$", source):
                    raise DockerfileError(
                        path, line, f"ADD of an archive ({source}) is not unpacked"
                    )
                if source.startswith("/") or ".." in Path(source).parts:
                    raise DockerfileError(path, line, f"{source!r} is outside the build context")
            dest = words[-1]
            if not dest.startswith("/"):
                dest = (workdir or "/").rstrip("/") + "/" + dest
            steps.append(Copy(sources, dest, line))
        elif keyword == "WORKDIR":
            where = substitute(args, variables)
            workdir = where if where.startswith("/") else (workdir or "/").rstrip("/") + "/" + where
            steps.append(Workdir(workdir, line))
        elif keyword == "ENV":
            pairs = [(k, substitute(v, variables)) for k, v in _env_pairs(args, path, line)]
            for name, value in pairs:
                variables[name] = value
            env += pairs
            steps.append(Env(tuple(pairs), line))
        elif keyword == "SHELL":
            argv = _exec_form(args)
            if not argv:
                raise DockerfileError(path, line, "SHELL needs the exec form")
            shell = tuple(argv)
        elif keyword == "USER":
            if args not in ("root", "0", "0:0", "root:root"):
                raise DockerfileError(path, line, f"USER {args} (steps run as root only)")
        elif keyword in IGNORED:
            notes.append(f"line {line}: {keyword} ignored (it only concerns a running container)")
        else:
            raise DockerfileError(path, line, f"{keyword} is not supported")
    if base is None:
        raise DockerfileError(path, 0, "no FROM instruction")
    return Dockerfile(base, tuple(steps), workdir, tuple(env), tuple(notes))
