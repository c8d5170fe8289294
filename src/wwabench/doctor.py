"""Self-checks of this machine before a run: the sandbox, the model's weights, the engine
and the CPU it runs on. Each check says what it found and, when it fails, what to do.

`wwabench doctor` runs them all; `wwabench run` runs the same checks first, so a broken
machine is named in the first seconds, not after an hour of silence.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wwabench.models import ModelCrashed, ModelUnavailable, Provider
from wwabench.models.registry import MODELS, PullError, verify
from wwabench.sandbox import SandboxError, SandboxFactory, SandboxSpec

# The CPU features llama.cpp's x86 kernels are built for, as /proc/cpuinfo spells them,
# with the names llama.cpp's system info uses.
FEATURES = {
    "sse4_2": "SSE42",
    "avx": "AVX",
    "avx2": "AVX2",
    "fma": "FMA",
    "f16c": "F16C",
    "bmi2": "BMI2",
    "avx_vnni": "AVX_VNNI",
    "avx512f": "AVX512",
    "avx512_vbmi": "AVX512_VBMI",
    "avx512_vnni": "AVX512_VNNI",
    "avx512_bf16": "AVX512_BF16",
    "amx_tile": "AMX_TILE",
    "amx_int8": "AMX_INT8",
    "amx_bf16": "AMX_BF16",
}


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Cpu:
    model: str
    cores: int
    flags: frozenset[str]

    def features(self) -> list[str]:
        return [flag for flag in FEATURES if flag in self.flags]


def read_cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> Cpu:
    model, flags, cores = "unknown CPU", frozenset[str](), 0
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return Cpu(model, 0, flags)
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            cores += 1
        elif key == "model name" and model == "unknown CPU":
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
    return Cpu(model, cores, flags)


def build_features(system_info: str) -> set[str]:
    """The instruction sets llama.cpp was compiled for ('AVX2 = 1' in its system info)."""
    return {name for name, on in re.findall(r"([A-Z0-9_]+) = (\d)", system_info) if on == "1"}


def check_cpu(cpu: Cpu, engine: bool) -> Finding:
    detail = f"{cpu.model}, {cpu.cores} cores; {' '.join(cpu.features()) or 'no SIMD flags'}"
    if engine and "avx2" not in cpu.flags:
        return Finding(
            "cpu",
            False,
            detail,
            "the portable engine build needs AVX2 (x86-64-v3, Intel since 2013, AMD since "
            "2015); on an older CPU rebuild it with `CMAKE_ARGS=-DGGML_AVX2=OFF uv sync "
            "--reinstall-package llama-cpp-python`",
        )
    return Finding("cpu", True, detail)


# `ok`, whether a seccomp filter is on, and whether the supervisor (the pid namespace's
# init) is out of reach of the sandbox's processes.
SANDBOX_PROBE = (
    "echo ok; grep -c '^Seccomp:[[:space:]]*2' /proc/self/status; "
    "ls /proc/1/fd >/dev/null 2>&1 && echo reachable || echo guarded"
)


def check_sandbox(factory: SandboxFactory) -> Finding:
    start = time.monotonic()
    try:
        sandbox = factory.create(SandboxSpec())
        try:
            result = sandbox.exec(SANDBOX_PROBE, timeout=10)
        finally:
            sandbox.close()
    except SandboxError as exc:
        return Finding(
            "sandbox",
            False,
            str(exc),
            "install bubblewrap (apt-get install bubblewrap); inside a container, allow user "
            "namespaces or run as root",
        )
    said = result.stdout.decode(errors="replace").split()
    if not said or said[0] != "ok":
        return Finding(
            "sandbox",
            False,
            f"`echo ok` gave exit {result.exit_code}: {result.stderr[-300:]!r}",
            "check that bubblewrap can create namespaces here (`bwrap --ro-bind / / true`)",
        )
    ms = (time.monotonic() - start) * 1000
    detail = f"{type(factory).__name__}: a command ran in {ms:.0f} ms"
    if factory.name != "bwrap":
        return Finding("sandbox", True, detail + "; unisolated: no protection at all")
    seccomp_on, guarded = said[1:2] == ["1"], said[2:3] == ["guarded"]
    if not guarded:
        return Finding(
            "sandbox",
            False,
            detail + "; the supervisor is within reach of the sandbox's processes",
            "the exec-only copies of bash and python3 did not make it non-dumpable; "
            "report this machine's kernel (`uname -r`) with `wwabench doctor`'s output",
        )
    filtered = "seccomp filter on" if seccomp_on else "no seccomp filter for this CPU"
    return Finding("sandbox", True, f"{detail}; supervisor out of reach; {filtered}")


def check_weights(name: str, thorough: bool) -> Finding:
    """A bundled model's file: present, of the right size and sha256."""
    model = MODELS[name]
    try:
        path, hashed = verify(model, rehash=thorough)
    except PullError as exc:
        return Finding(
            "weights", False, str(exc), f"fetch them again: `wwabench models pull {name}`"
        )
    how = "sha256 verified now" if hashed else "sha256 verified when written"
    return Finding("weights", True, f"{path} ({model.size / 1e6:.0f} MB, {how})")


def check_engine(provider: Provider, cpu: Cpu) -> Finding:
    """Start the engine, load the model and generate one token."""
    from wwabench.models.llama import LlamaProvider

    if not isinstance(provider, LlamaProvider):
        return Finding("engine", True, f"{provider.spec} needs no local engine")
    start = time.monotonic()
    try:
        info = provider.load()
        provider.engine.chat({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
    except (ModelCrashed, ModelUnavailable) as exc:
        return Finding("engine", False, str(exc), "see the log named above; `wwabench doctor`")
    seconds = time.monotonic() - start
    built = build_features(info.system_info)
    missing = sorted(
        flag for flag, name in FEATURES.items() if name in built and flag not in cpu.flags
    )
    simd = " ".join(n for n in FEATURES.values() if n in built) or "baseline x86-64"
    detail = (
        f"llama-cpp-python {info.version} built for {simd}; loaded and generated a token in "
        f"{seconds:.1f} s ({provider.params.threads} thread(s), extra buffers "
        f"{'on' if info.extra_buffers else 'off'})"
    )
    if missing:
        return Finding(
            "engine",
            False,
            detail + f"; this CPU lacks {' '.join(missing)}",
            "the engine was built for another CPU: `uv sync --reinstall-package "
            "llama-cpp-python` rebuilds it with the project's portable recipe",
        )
    return Finding("engine", True, detail)


def run_checks(
    factory: SandboxFactory | None,
    provider: Provider | None,
    thorough: bool,
    report: Callable[[Finding], None],
    starting: Callable[[str], None] = lambda check: None,
) -> list[Finding]:
    """The checks in order, each announced as it starts and reported as it ends; the
    engine is skipped when the weights are broken (it would only fail the same way)."""
    from wwabench.models.llama import LlamaProvider

    findings: list[Finding] = []

    def do(name: str, check: Callable[[], Finding]) -> None:
        starting(name)
        findings.append(check())
        report(findings[-1])

    cpu = read_cpu()
    do("cpu", lambda: check_cpu(cpu, isinstance(provider, LlamaProvider)))
    if factory is not None:
        do("sandbox", lambda: check_sandbox(factory))
    if provider is not None:
        name = provider.spec.removeprefix("local/")
        if provider.spec.startswith("local/") and name in MODELS:
            do("weights", lambda: check_weights(name, thorough))
        if findings[-1].ok and isinstance(provider, LlamaProvider):
            do("engine", lambda: check_engine(provider, cpu))
    return findings
