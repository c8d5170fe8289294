"""Tasks load all or nothing, each on its own, and say so (issue 16, finding 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wwabench.cli import app
from wwabench.episode.runner import prepare_workspace
from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import TaskError, load_task, scan_suite

from ..support import FIXTURES

GOOD = FIXTURES / "suite" / "write-answer"


def copy_task(suite: Path, name: str) -> Path:
    task = suite / name
    shutil.copytree(GOOD, task)
    toml = task / "task.toml"
    toml.write_text(toml.read_text().replace('id = "write-answer"', f'id = "{name}"'))
    return task


@pytest.fixture
def mixed_suite(tmp_path: Path) -> Path:
    """One good task and two broken ones, each broken its own way."""
    suite = tmp_path / "suite"
    copy_task(suite, "good")
    (copy_task(suite, "bad-toml") / "task.toml").write_text("id = [unclosed\n")
    (copy_task(suite, "no-instruction") / "instruction.md").unlink()
    return suite


def invoke(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.output


def test_every_broken_task_is_named(mixed_suite: Path) -> None:
    tasks, broken = scan_suite(mixed_suite)
    assert [t.id for t in tasks] == ["good"]
    assert sorted(e.path.parent.name for e in broken) == ["bad-toml", "no-instruction"]
    code, out = invoke("tasks", "--suite", str(mixed_suite))
    assert code == 2 and "good" in out
    assert "bad-toml/task.toml: is not valid TOML" in out
    assert "no-instruction/instruction.md: is missing" in out


@pytest.mark.sandbox
def test_run_refuses_a_broken_selection_and_runs_a_good_one(
    mixed_suite: Path, tmp_path: Path
) -> None:
    out_dir = ["--out", str(tmp_path / "runs")]
    code, out = invoke("run", "--model", "oracle", "--suite", str(mixed_suite), *out_dir)
    assert code == 2 and "2 broken task(s)" in out and "bad-toml" in out
    code, out = invoke(
        "run", "--model", "oracle", "--suite", str(mixed_suite), "--task", "bad-toml", *out_dir
    )
    assert code == 2 and "bad-toml" in out and "no-instruction" not in out
    code, out = invoke(
        "run", "--model", "oracle", "--suite", str(mixed_suite), "--task", "good", *out_dir
    )
    assert code == 0, out


@pytest.mark.sandbox
def test_validate_reports_broken_tasks_and_checks_the_rest(mixed_suite: Path) -> None:
    code, out = invoke("validate", "--seeds", "1", "--suite", str(mixed_suite))
    assert code == 1
    assert out.count("FAIL") == 2 and "bad-toml" in out and "no-instruction" in out
    assert "oracle: 1 episodes" in out


def test_an_unknown_param_is_found_when_the_task_loads(tmp_path: Path) -> None:
    task = copy_task(tmp_path, "typo")
    (task / "instruction.md").write_text("Write {{wrod}} into answer.txt.\n")
    with pytest.raises(TaskError, match=r"\{\{wrod\}\}: no such param"):
        load_task(task)


def test_a_raising_setup_py_is_found_when_the_task_loads(tmp_path: Path) -> None:
    task = copy_task(tmp_path, "raises")
    (task / "setup.py").write_text("def setup(rng):\n    raise RuntimeError('boom')\n")
    with pytest.raises(TaskError, match="raised RuntimeError: boom"):
        load_task(task)


@pytest.mark.sandbox
def test_setup_sh_that_reads_stdin_still_runs_to_the_end(tmp_path: Path) -> None:
    task = copy_task(tmp_path, "reads-stdin")
    (task / "setup.sh").write_text("cat > /dev/null\necho ran > after-stdin.txt\n")
    variant = load_task(task).variant(0)
    sandbox = BwrapFactory().create(SandboxSpec())
    try:
        prepare_workspace(sandbox, variant)
        r = sandbox.exec("cat after-stdin.txt; ls -a /tmp", timeout=10)
    finally:
        sandbox.close()
    assert r.stdout.startswith(b"ran\n")
    assert b"wwabench-setup" not in r.stdout  # the script is gone before the agent starts
