"""Environments without Docker: a Debian root file system per task, built and cached.

A base root comes from `mmdebstrap` (Debian's tool: a root file system from the
configured Debian mirror, as a directory), one per Debian release, cached. A task's
environment is a copy of its base with the Dockerfile's steps replayed in it: `RUN`
under bubblewrap with the base as `/` and the network on (installs go through the
machine's Debian mirror and PyPI index), `COPY` by the harness, `WORKDIR` and `ENV`
recorded. Then what the task's scripts would install at run time is installed
(installs.py), and `/tests` and `/logs` become links into the sandbox's private
directory (verify.py). The result is cached under a hash of every input: the base,
the Dockerfile, the build context's files, the scripts and this builder's version.

Building runs as root (mmdebstrap's root mode, and RUN steps as root in the root file
system): the sandbox that later runs the agent does not.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wwabench.config import data_dir
from wwabench.harbor import installs
from wwabench.harbor.dockerfile import (
    DOCKER_PATH,
    Copy,
    Dockerfile,
    DockerfileError,
    Env,
    Run,
    Workdir,
    parse,
)
from wwabench.harbor.taskdir import HarborTask
from wwabench.sandbox.bwrap import resolve_inside

BUILDER_VERSION = "2"  # change it when what a build makes changes: every cache entry is new
CACHE_ENV = "WWABENCH_HARBOR_CACHE"
ROOT_CACHE = Path("/var/cache/wwabench/harbor")
MIRROR_ENV = "WWABENCH_DEBIAN_MIRROR"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Every root has python3 (the sandbox's supervisor runs on it) and pip (installs at
# build time); python-is-python3 gives the `python` of Python images.
BASE_PACKAGES = ("python3", "python3-pip", "python3-venv", "python-is-python3", "ca-certificates")
DEFAULT_WORKDIR = "/app"  # Docker's is `/`, which cannot be the workspace
SOLUTION_DIR = "/solution"
HOST_PASSED_ENV = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                   "NO_PROXY", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST",
                   "PIP_DEFAULT_TIMEOUT")  # fmt: skip


HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
BUILD_CA = "/tmp/.wwabench-host-ca.crt"  # /tmp is a tmpfs during a step: nothing stays
CA_VARIABLES = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class BuildError(RuntimeError):
    """The environment could not be built: the reason, for the import report."""


@dataclass(frozen=True)
class BaseImage:
    suite: str  # the Debian release whose root stands in for the image
    note: str  # how the image is approximated, for the report
    python_image: bool = False  # pip installs into the system Python, as in python:3.x


def base_for(image: str) -> BaseImage:
    """The Debian root that stands in for a Docker base image, or BuildError."""
    name = image.split("@", 1)[0]
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    repo = repo.removeprefix("docker.io/").removeprefix("library/")
    short = repo.rsplit("/", 1)[-1]
    tag = tag or "latest"
    # Terminal-Bench's own base images are named after what they are built from.
    tb = re.fullmatch(r"(ubuntu|python|debian)-(\d+)-(\d+)", short)
    if tb:
        short, tag = tb.group(1), f"{tb.group(2)}.{tb.group(3)}"
    if short == "debian":
        for suite, names in (("bookworm", ("bookworm", "12")), ("trixie", ("trixie", "13"))):
            if tag.startswith(names):
                return BaseImage(suite, f"{image}: Debian {suite}")
        if tag.startswith(("stable", "latest", "slim")) or tag == "latest":
            return BaseImage("trixie", f"{image}: Debian trixie")
        raise BuildError(f"base image {image}: no Debian release {tag!r} here")
    if short == "ubuntu":
        if tag.startswith(("24.04", "noble", "latest", "25.")):
            return BaseImage("trixie", f"{image}: approximated by Debian trixie")
        if tag.startswith(("22.04", "jammy")):
            return BaseImage("bookworm", f"{image}: approximated by Debian bookworm")
        raise BuildError(f"base image {image}: no Debian release stands in for Ubuntu {tag}")
    if short == "python":
        suite = "bookworm" if "bookworm" in tag else "trixie"
        version = {"trixie": "3.13", "bookworm": "3.11"}[suite]
        wanted = re.match(r"3\.\d+", tag)
        said = f"Python {wanted.group(0)}" if wanted else "Python"
        return BaseImage(
            suite,
            f"{image}: approximated by Debian {suite} with its python3 ({version}) for {said}",
            python_image=True,
        )
    raise BuildError(f"base image {image} has no Debian stand-in (debian, ubuntu, python)")


def cache_dir() -> Path:
    """$WWABENCH_HARBOR_CACHE, else the data directory's `harbor` (as root:
    /var/cache/wwabench/harbor, since the sandbox's uid may not enter /root)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return ROOT_CACHE if os.geteuid() == 0 else data_dir() / "harbor"


def debian_mirror() -> str:
    """$WWABENCH_DEBIAN_MIRROR, else the machine's own Debian mirror, else Debian's."""
    if os.environ.get(MIRROR_ENV):
        return os.environ[MIRROR_ENV]
    sources = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for path in sources:
        with contextlib.suppress(OSError):
            uris: list[str] = re.findall(r"(?:URIs:|^deb)\s+(\S+)", path.read_text(), re.M)
            for uri in uris:
                if uri.rstrip("/").endswith("/debian") and uri.startswith("http"):
                    return uri.rstrip("/")
    return DEFAULT_MIRROR


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder per cache entry at a time, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:20]


def dir_bytes(path: Path) -> int:
    total = 0
    for top, dirs, files in os.walk(path):
        for name in files + dirs:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(top, name)).st_blocks * 512
    return total


def _need_root() -> None:
    if os.geteuid() != 0:
        raise BuildError("building an environment needs root (mmdebstrap and RUN steps)")
    for tool in ("mmdebstrap", "bwrap"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} is not installed (apt-get install mmdebstrap bubblewrap)")


def base_root(suite: str, cache: Path) -> Path:
    """The cached base root of a Debian release, made with mmdebstrap on first use."""
    mirror = debian_mirror()
    key = _digest(BUILDER_VERSION, suite, mirror, *BASE_PACKAGES)
    final = cache / "base" / f"{suite}-{key}"
    if (final / "root" / "usr" / "bin" / "python3").exists():
        return final / "root"
    _need_root()
    with _locked(cache / "base" / f"{suite}-{key}.lock"):
        if (final / "root" / "usr" / "bin" / "python3").exists():
            return final / "root"
        work = final.with_suffix(".tmp")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        argv = ["mmdebstrap", "--variant=apt", f"--include={','.join(BASE_PACKAGES)}",
                "--aptopt=Acquire::Check-Valid-Until \"false\"", suite, str(work / "root"),
                f"deb {mirror} {suite} main"]  # fmt: skip
        start = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            raise BuildError(f"mmdebstrap {suite} failed: {r.stderr[-1500:]}")
        (work / "base.json").write_text(
            json.dumps({"suite": suite, "mirror": mirror, "seconds": time.monotonic() - start})
        )
        shutil.rmtree(final, ignore_errors=True)
        work.rename(final)
    return final / "root"


@dataclass(frozen=True)
class Environment:
    """A built environment: its root, and what the container would have had."""

    root: Path
    workdir: str
    env: tuple[tuple[str, str], ...]
    base: str  # how the base image was approximated
    build_seconds: float  # when it was built (0 for a base that was already cached)
    size_bytes: int
    cached: bool  # found in the cache by this call
    notes: tuple[str, ...] = field(default=())

    @property
    def path(self) -> Path:
        return self.root.parent


def _context_digest(context: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(context.rglob("*")):
        h.update(path.relative_to(context).as_posix().encode() + b"\0")
        if path.is_symlink():
            h.update(os.readlink(path).encode())
        elif path.is_file():
            h.update(path.read_bytes())
            h.update(b"x" if os.access(path, os.X_OK) else b"-")
    return h.hexdigest()


def environment_key(task: HarborTask, dockerfile: Dockerfile, base: BaseImage) -> str:
    return _digest(
        BUILDER_VERSION,
        base.suite,
        debian_mirror(),
        dockerfile.base,
        _context_digest(task.context),
        task.solve_sh,
        task.test_sh,
    )


def _load(final: Path, cached: bool) -> Environment:
    meta: dict[str, Any] = json.loads((final / "environment.json").read_text())
    return Environment(
        root=final / "root",
        workdir=meta["workdir"],
        env=tuple((k, v) for k, v in meta["env"]),
        base=meta["base"],
        build_seconds=meta["seconds"],
        size_bytes=meta["size_bytes"],
        cached=cached,
        notes=tuple(meta["notes"]),
    )


def cached_environment(task: HarborTask, cache: Path | None = None) -> Environment | None:
    """The task's environment if it was built already (no building, no root needed)."""
    try:
        dockerfile = parse(task.dockerfile)
        base = base_for(dockerfile.base)
    except (DockerfileError, BuildError):
        return None
    final = (
        (cache or cache_dir()) / "env" / f"{task.name}-{environment_key(task, dockerfile, base)}"
    )
    return _load(final, True) if (final / "environment.json").is_file() else None


def build_environment(task: HarborTask, cache: Path | None = None) -> Environment:
    """The task's environment, from the cache or built now; BuildError says why not."""
    cache = cache or cache_dir()
    try:
        dockerfile = parse(task.dockerfile)
    except DockerfileError as exc:
        raise BuildError(f"Dockerfile: {exc}") from exc
    base = base_for(dockerfile.base)
    final = cache / "env" / f"{task.name}-{environment_key(task, dockerfile, base)}"
    if (final / "environment.json").is_file():
        return _load(final, True)
    _need_root()
    start = time.monotonic()
    base_dir = base_root(base.suite, cache)
    with _locked(final.with_suffix(".lock")):
        if (final / "environment.json").is_file():
            return _load(final, True)
        work = final.with_suffix(".tmp")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        subprocess.run(
            ["cp", "-a", "--reflink=auto", str(base_dir), str(work / "root")], check=True
        )
        builder = _Builder(task, work / "root", cache, start + task.config.build_seconds)
        notes = [base.note, *dockerfile.notes, *task.notes]
        try:
            notes += builder.replay(dockerfile, base)
        except BuildError:
            (work / "build.log").write_text(builder.log_text())
            raise
        (work / "build.log").write_text(builder.log_text())
        seconds = time.monotonic() - start
        meta = {
            "workdir": builder.workdir,
            "env": builder.persisted,
            "base": base.note,
            "seconds": seconds,
            "size_bytes": dir_bytes(work / "root"),
            "notes": notes,
        }
        (work / "environment.json").write_text(json.dumps(meta, indent=1))
        shutil.rmtree(final, ignore_errors=True)
        work.rename(final)
    return _load(final, False)


class _Builder:
    def __init__(self, task: HarborTask, root: Path, cache: Path, deadline: float) -> None:
        self.task = task
        self.root = root
        self.cache = cache
        self.deadline = deadline
        self.workdir = "/"
        self.run_env: dict[str, str] = {}
        self.persisted: list[tuple[str, str]] = []
        self.log: list[str] = []

    def log_text(self) -> str:
        return "\n".join(self.log)

    def host_path(self, inside: str) -> Path:
        """Where a path inside the root is on the host; its links never lead out."""
        return self.root / resolve_inside(self.root, inside).lstrip("/")

    def replay(self, dockerfile: Dockerfile, base: BaseImage) -> list[str]:
        notes: list[str] = []
        if base.python_image:
            # python:3.x images let pip install into the system Python.
            for marker in self.root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
                marker.unlink()
        for step in dockerfile.steps:
            if isinstance(step, Run):
                argv = step.argv
                unpinned = tuple(installs.unpin_apt(a) for a in argv)
                if unpinned != argv:
                    notes.append(f"line {step.line}: apt version pins dropped")
                self.run(unpinned, f"RUN at line {step.line}")
            elif isinstance(step, Copy):
                self.copy(step)
            elif isinstance(step, Workdir):
                self.host_path(step.path).mkdir(parents=True, exist_ok=True)
                self.workdir = step.path
            elif isinstance(step, Env):
                self.run_env.update(step.values)
                if step.persist:
                    self.persisted += list(step.values)
        if dockerfile.workdir is None:
            self.workdir = DEFAULT_WORKDIR
            notes.append(f"no WORKDIR: the workspace is {DEFAULT_WORKDIR}")
        notes += self.preinstall(base)
        self.finish()
        return notes

    def run(self, argv: tuple[str, ...], what: str) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BuildError(f"build timeout (task.toml build_timeout_sec) before {what}")
        archives = self.cache / "apt-archives"
        pip_cache = self.cache / "pip-cache"
        for d in (archives / "partial", pip_cache):
            d.mkdir(parents=True, exist_ok=True)
        env = {"PATH": DOCKER_PATH, "HOME": "/root", "DEBIAN_FRONTEND": "noninteractive",
               "LANG": "C.UTF-8", "PIP_ROOT_USER_ACTION": "ignore",
               **{k: os.environ[k] for k in HOST_PASSED_ENV if k in os.environ},
               **self.run_env}  # fmt: skip
        # PATH of an ENV step may extend $PATH: it was substituted when parsed.
        self.host_path(self.workdir).mkdir(parents=True, exist_ok=True)
        bwrap = ["bwrap", "--bind", str(self.root), "/", "--dev", "/dev", "--proc", "/proc",
                 "--perms", "1777", "--tmpfs", "/tmp",
                 "--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf",
                 "--bind", str(archives), "/var/cache/apt/archives",
                 "--bind", str(pip_cache), "/root/.cache/pip",
                 "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--share-net",
                 "--die-with-parent", "--chdir", self.workdir, "--clearenv"]  # fmt: skip
        host_ca = Path(os.environ.get("PIP_CERT") or HOST_CA)
        if host_ca.is_file():
            # The machine's own trust (a registry behind a TLS proxy), for this step only.
            bwrap += ["--ro-bind", str(host_ca), BUILD_CA]
            env.update({name: BUILD_CA for name in CA_VARIABLES})
        for key, value in env.items():
            bwrap += ["--setenv", key, value]
        self.log.append(f"$ {what}: {' '.join(argv)}")
        try:
            r = subprocess.run(
                [*bwrap, "--", *argv],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=left,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"build timeout (task.toml build_timeout_sec) in {what}") from exc
        out = (r.stdout + r.stderr).decode(errors="replace")
        self.log.append(out)
        if r.returncode != 0:
            raise BuildError(f"{what} exited {r.returncode}: {out[-800:].strip()}")

    def copy(self, step: Copy) -> None:
        context = self.task.context.resolve()
        sources: list[Path] = []
        for pattern in step.sources:
            matched = sorted(context.glob(pattern)) if any(c in pattern for c in "*?[") else []
            found = matched or [context / pattern]
            for source in found:
                if not source.exists():
                    raise BuildError(f"COPY at line {step.line}: {pattern} is not in environment/")
                if context not in source.resolve().parents and source.resolve() != context:
                    raise BuildError(f"COPY at line {step.line}: {pattern} leaves environment/")
                sources.append(source)
        into_dir = step.dest.endswith("/") or len(sources) > 1
        dest = self.host_path(step.dest.rstrip("/") or "/")
        for source in sources:
            if source.is_dir():
                # Docker copies a directory's contents, not the directory itself.
                shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)
            else:
                target = dest / source.name if into_dir or dest.is_dir() else dest
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
        self.log.append(f"COPY {' '.join(step.sources)} {step.dest}")

    def preinstall(self, base: BaseImage) -> list[str]:
        found = installs.find(self.task.solve_sh, self.task.test_sh)
        notes = list(found.notes)
        if found.apt:
            pkgs = sorted(found.apt)
            command = "apt-get update -qq && apt-get install -y -qq --no-install-recommends "
            self.run(("sh", "-c", command + " ".join(pkgs)), "apt packages of the scripts")
            notes.append(f"preinstalled for the scripts (apt): {' '.join(pkgs)}")
        pip = ["python3", "-m", "pip", "install", "-q", "--break-system-packages"]
        if found.pip:
            self.run((*pip, *sorted(found.pip)), "pip packages of solve.sh")
            notes.append(f"preinstalled for solve.sh (pip): {' '.join(sorted(found.pip))}")
        if found.verifier_pip:
            self.run(
                (*pip, "--target", installs.VERIFIER_SITE, *sorted(found.verifier_pip)),
                "the verifier's pip packages",
            )
            notes.append(f"verifier packages: {' '.join(sorted(found.verifier_pip))}")
        bin_dir = self.host_path(installs.VERIFIER_BIN)
        bin_dir.mkdir(parents=True, exist_ok=True)
        for name, text in (("uvx", installs.UVX_SHIM), ("uv", installs.UV_SHIM)):
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
        return notes

    def finish(self) -> None:
        """The mount points the sandbox needs, and /tests and /logs as links into the
        private directory (only the verifier's commands can follow them)."""
        for inside in (self.workdir, SOLUTION_DIR, "/root", "/tmp", "/run"):
            self.host_path(inside).mkdir(parents=True, exist_ok=True)
        for name in ("tests", "logs"):
            link = self.root / name
            if link.is_symlink() or link.is_file():
                link.unlink()
            elif link.is_dir():
                shutil.rmtree(link)
            link.symlink_to(f"/proc/self/fd/3/{name}")
        self.exec_only()

    def exec_only(self) -> None:
        """Programs in the bin directories become executable but not readable for the
        sandbox's user. The kernel makes a process that runs a binary it cannot read
        non-dumpable, so no process the agent left running can open the private
        directory through /proc/PID/fd/3 of one the verifier started (`cat`, `mkdir`):
        only programs the agent wrote itself stay open to it."""
        for top in ("usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin"):
            for path in (self.root / top).glob("*"):
                with contextlib.suppress(OSError):
                    st = path.lstat()
                    if stat.S_ISREG(st.st_mode) and st.st_mode & 0o111:
                        with path.open("rb") as handle:
                            if handle.read(4) == b"\x7fELF":
                                path.chmod(stat.S_IMODE(st.st_mode) & ~0o044)
