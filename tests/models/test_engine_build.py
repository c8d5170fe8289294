"""The engine build is portable: it holds no instruction beyond x86-64-v3.

A machine runs only what its CPU and OS allow. A build made with -march=native on an
AVX-512 machine dies of SIGILL on one without it, and one made on an AMX machine dies
of SIGSEGV in a VM that never enabled AMX (issue 14). This test reads the machine code
itself, so it fails on a tuned build whatever CPU it runs on.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import llama_cpp
import pytest

LIB = Path(llama_cpp.__file__).parent / "lib"
# AMX instructions are VEX-encoded; every AVX-512 instruction is EVEX-encoded, and in
# 64-bit mode an EVEX instruction starts with the byte 0x62 (after at most an 0x67).
AMX = re.compile(r"\t(ldtilecfg|sttilecfg|tileloadd|tileloaddt1|tilestored|tilezero|"
                 r"tilerelease|tdpb\w+|tdpfp16ps)\b")  # fmt: skip
EVEX = re.compile(r":\t(67 )?62 ")

pytestmark = pytest.mark.skipif(
    platform.machine() != "x86_64" or shutil.which("objdump") is None,
    reason="reads x86-64 machine code with objdump (binutils)",
)


def disassemble(lib: Path) -> str:
    return subprocess.run(
        ["objdump", "-d", "-w", str(lib)], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("name", ["libggml-cpu.so", "libggml-base.so", "libllama.so"])
def test_no_avx512_or_amx_instructions(name: str) -> None:
    code = disassemble(LIB / name)
    evex = [line for line in code.splitlines() if EVEX.search(line)]
    amx = [line for line in code.splitlines() if AMX.search(line)]
    assert not evex, f"{name} has {len(evex)} AVX-512 instructions, e.g. {evex[:3]}"
    assert not amx, f"{name} has {len(amx)} AMX instructions, e.g. {amx[:3]}"


def test_the_build_still_uses_avx2() -> None:
    """Portable, not slow: the matrix kernels are AVX2 (x86-64-v3), not SSE2."""
    code = disassemble(LIB / "libggml-cpu.so")
    assert code.count("%ymm") > 1000
    info = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in info and "AVX512 = 1" not in info
