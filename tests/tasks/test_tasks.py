"""Task loading: broken task files get errors naming the file and field; variants are
deterministic per seed and differ across seeds."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from wwabench.tasks import CATEGORIES, TaskError, load_suite, load_task, suite_version

from ..support import FIXTURES

GOOD = FIXTURES / "suite" / "write-answer"


@pytest.fixture
def task_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "write-answer"
    shutil.copytree(GOOD, dst)
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [
        ("task.toml", 'category = "shell"', 'category = "poetry"', "category"),
        ("task.toml", 'id = "write-answer"', 'id = "other"', "id"),
        ("task.toml", "max_steps = 12", "max_steps = -1", "limits.max_steps"),
        ("task.toml", "weight = 3", 'weight = "heavy"', "checks[0].weight"),
        ("task.toml", 'run = "python3 /checks/check.py"', "", "checks[1].run"),
        ("task.toml", "[limits]", "[limits", ""),
        ("solution.toml", 'tool = "write_file"', 'tool = "rm_rf"', "step[0].tool"),
        ("solution.toml", "args = { path", "args = { n = 1, path", "step[0].args"),
        ("setup.py", "return {", "raise RuntimeError('boom')\n    return {", "setup()"),
        ("setup.py", '"word": word', '"word": word + " ; rm -rf /"', "params.word"),
        ("setup.py", '"notes/readme.txt"', '"../escape.txt"', "files"),
    ],
)
def test_broken_task_files_name_file_and_field(
    task_dir: Path, file: str, old: str, new: str, field: str
) -> None:
    edit(task_dir / file, old, new)
    with pytest.raises(TaskError) as info:
        load_task(task_dir).variant(0)
    assert info.value.path == task_dir / file
    assert info.value.field == field
    assert str(task_dir / file) in str(info.value)


def test_missing_files_are_named(task_dir: Path) -> None:
    (task_dir / "solution.toml").unlink()
    with pytest.raises(TaskError, match=r"solution\.toml: is missing"):
        load_task(task_dir)


def test_unknown_param_in_instruction(task_dir: Path) -> None:
    (task_dir / "instruction.md").write_text("Write {{nope}}.")
    with pytest.raises(TaskError, match=r"instruction.md: \{\{nope\}\}: no such param"):
        load_task(task_dir).variant(0)


def test_fixture_variant_substitutes_params() -> None:
    v = load_task(GOOD).variant(7)
    word = v.params["word"]
    assert f"`{word}`" in v.instruction
    assert v.solution[0].args["content"] == word + "\n"
    assert word in v.checks[0].run
    assert v.env["WWA_WORD"] == word and v.env["WWA_SEED"] == "7"


def test_suite_variants_are_deterministic_and_seed_dependent() -> None:
    for task in load_suite():
        a, b, c = task.variant(1), task.variant(1), task.variant(2)
        assert a.workspace_tar == b.workspace_tar and a.instruction == b.instruction
        assert (a.workspace_tar, a.params) != (c.workspace_tar, c.params), task.id


def test_suite_covers_the_mission() -> None:
    tasks = load_suite()
    assert len(tasks) == 12
    per = Counter(t.category for t in tasks)
    assert set(per) == set(CATEGORIES)
    assert per["multi-file-edit"] >= 3
    assert all(per[c] >= 2 for c in CATEGORIES)
    assert all(t.reference_steps >= 1 and t.checks for t in tasks)


def test_suite_version_changes_with_content(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(GOOD, suite / "write-answer")
    before = suite_version(load_suite(suite))
    edit(suite / "write-answer" / "instruction.md", "Write", "Please write")
    assert suite_version(load_suite(suite)) != before
