"""`wwabench doctor` and the same checks at the start of `run`: each says what it found
and, when it fails, what to do; a run on a broken machine stores nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wwabench.doctor import Cpu, build_features, check_cpu, read_cpu
from wwabench.store import Store

from ..support import SMALL

# Two lines of a real /proc/cpuinfo, cut down: an AMX Xeon as issue 14 found it.
CPUINFO = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu sse4_2 avx avx2 fma f16c bmi2 avx512f avx512_vnni amx_tile amx_int8 amx_bf16
processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu sse4_2 avx avx2 fma f16c bmi2 avx512f avx512_vnni amx_tile amx_int8 amx_bf16
"""


def wwabench(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wwabench.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_cpu_features_are_read(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO)
    cpu = read_cpu(info)
    assert cpu.cores == 2 and cpu.model.startswith("Intel(R) Xeon(R) Platinum")
    assert cpu.features()[-3:] == ["amx_tile", "amx_int8", "amx_bf16"]
    assert check_cpu(cpu, engine=True).ok
    old = Cpu("Intel Core 2", 2, frozenset({"sse4_2"}))
    finding = check_cpu(old, engine=True)
    assert not finding.ok and "AVX2" in finding.fix
    assert check_cpu(old, engine=False).ok  # a hosted model does not need it


def test_build_features_from_system_info() -> None:
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | AMX_INT8 = 1 | OPENMP = 1 |"
    assert build_features(info) >= {"AVX", "AVX2", "AMX_INT8"}
    assert "AVX512" not in build_features(info)


@pytest.mark.sandbox
def test_doctor_passes_on_this_machine(small_model: Path) -> None:
    r = wwabench("doctor", "--model", f"gguf:{small_model}", env={})
    assert r.returncode == 0, r.stdout + r.stderr
    for check in ("cpu", "sandbox", "engine"):
        assert f"ok   {check}" in r.stdout
    assert "built for" in r.stdout and "all checks passed" in r.stdout
    assert "supervisor out of reach; seccomp filter on" in r.stdout


@pytest.fixture
def corrupt_data(small_model: Path, tmp_path: Path) -> dict[str, str]:
    """A data directory whose copy of the small model has one byte changed."""
    models = tmp_path / "data" / "models"
    models.mkdir(parents=True)
    copy = models / SMALL.filename
    shutil.copyfile(small_model, copy)
    with copy.open("r+b") as f:
        f.seek(SMALL.size // 2)
        byte = f.read(1)
        f.seek(SMALL.size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    return {"WWABENCH_DATA": str(tmp_path / "data")}


@pytest.mark.sandbox
def test_doctor_names_corrupt_weights_and_the_fix(corrupt_data: dict[str, str]) -> None:
    r = wwabench("doctor", "--model", "local/smollm2-135m", env=corrupt_data)
    assert r.returncode == 1
    assert "FAIL weights" in r.stdout and "corrupt" in r.stdout
    assert "wwabench models pull smollm2-135m" in r.stdout
    assert "engine" not in r.stdout.split("FAIL weights")[1]  # not tried on a bad file


@pytest.mark.sandbox
def test_run_on_a_broken_machine_stores_nothing(
    corrupt_data: dict[str, str], results_db: str
) -> None:
    r = wwabench("run", "--model", "local/smollm2-135m", env=corrupt_data)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "FAIL weights" in r.stdout and "nothing was run" in r.stdout
    assert Store(results_db).runs() == []
