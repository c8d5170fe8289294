"""Reading Harbor tasks: the Dockerfile subset, task.toml, the scripts' installs, rewards.
No build, no sandbox: these run in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from wwabench.harbor import installs
from wwabench.harbor.dockerfile import Copy, DockerfileError, Env, Run, Workdir, parse
from wwabench.harbor.rootfs import BuildError, base_for
from wwabench.harbor.task import load
from wwabench.harbor.taskdir import read_config
from wwabench.harbor.verify import RewardError, as_checks, parse_reward
from wwabench.tasks import TaskError, load_task, scan_suite

from .conftest import HERE, TASKS


def dockerfile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return path


def test_the_supported_instructions_become_steps(tmp_path: Path) -> None:
    parsed = parse(
        dockerfile(
            tmp_path,
            """
# comment
ARG VERSION=1.2
FROM python:3.13-slim
ENV APP=/srv/app \\
    MODE=strict
ENV PATH=/opt/tool/bin:$PATH
WORKDIR $APP
COPY src/ ./
RUN pip install tool==${VERSION} && \\
    echo done
RUN ["python3", "-c", "print(1)"]
EXPOSE 8000
CMD ["sleep", "infinity"]
""",
        )
    )
    assert parsed.base == "python:3.13-slim"
    assert parsed.workdir == "/srv/app"
    assert dict(parsed.env)["MODE"] == "strict"
    assert dict(parsed.env)["PATH"].startswith("/opt/tool/bin:/usr/local/sbin:")
    kinds = [type(s) for s in parsed.steps]
    assert kinds == [Env, Env, Workdir, Copy, Run, Run]
    copy = parsed.steps[3]
    assert isinstance(copy, Copy) and copy.dest == "/srv/app/./" and copy.sources == ("src/",)
    run = parsed.steps[4]
    assert isinstance(run, Run) and run.argv[:2] == ("/bin/sh", "-c")
    assert "pip install tool==${VERSION} && echo done" in run.argv[2]
    assert parsed.steps[5] == Run(("python3", "-c", "print(1)"), 12)
    assert any("EXPOSE ignored" in n for n in parsed.notes)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("FROM a\nFROM b\n", "second FROM"),
        ("FROM a\nCOPY --from=x /a /b\n", "--from is not supported"),
        ("FROM a\nADD https://example.com/x /x\n", "needs the network"),
        ("FROM a\nUSER app\n", "USER app"),
        ("FROM a\nONBUILD RUN x\n", "ONBUILD is not supported"),
        ("RUN x\n", "before FROM"),
        ("FROM a\nCOPY ../secret /x\n", "outside the build context"),
    ],
)
def test_unsupported_instructions_name_their_line(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(DockerfileError, match=said) as caught:
        parse(dockerfile(tmp_path, text))
    assert caught.value.line >= 1


@pytest.mark.parametrize(
    ("image", "suite", "python"),
    [
        ("debian:bookworm-slim", "bookworm", False),
        ("debian:trixie", "trixie", False),
        ("ubuntu:24.04", "trixie", False),
        ("ubuntu:22.04", "bookworm", False),
        ("python:3.13-slim", "trixie", True),
        ("python:3.11-slim-bookworm", "bookworm", True),
        ("ghcr.io/laude-institute/t-bench/ubuntu-24-04:20250624", "trixie", False),
        ("ghcr.io/laude-institute/t-bench/python-3-13:20250620", "trixie", True),
    ],
)
def test_base_images_map_to_a_debian_release(image: str, suite: str, python: bool) -> None:
    base = base_for(image)
    assert (base.suite, base.python_image) == (suite, python)


def test_an_image_without_a_stand_in_is_refused() -> None:
    with pytest.raises(BuildError, match="no Debian stand-in"):
        base_for("node:20")
    with pytest.raises(BuildError, match=r"Ubuntu 18\.04"):
        base_for("ubuntu:18.04")


def test_task_toml_limits_and_sizes(tmp_path: Path) -> None:
    path = tmp_path / "task.toml"
    path.write_text(
        '[agent]\ntimeout_sec = 90\n[verifier]\ntimeout_sec = 30.0\n[verifier.env]\nX = "1"\n'
        '[environment]\ncpus = 2\nmemory = "2G"\nstorage_mb = 512\n'
        '[metadata]\ndifficulty = "hard"\n'
    )
    config = read_config(path)
    assert (config.agent_seconds, config.verifier_seconds) == (90.0, 30.0)
    assert (config.cpus, config.memory_mb, config.storage_mb) == (2.0, 2048, 512)
    assert config.verifier_env == (("X", "1"),) and config.difficulty == "hard"
    path.write_text("[agent]\ntimeout_sec = -1\n")
    with pytest.raises(TaskError, match="agent"):
        read_config(path)


TB2_TEST_SH = """#!/bin/bash
apt-get update
apt-get install -y curl=8.5.0-2ubuntu10 \\
    jq
curl -LsSf https://astral.sh/uv/0.9.5/install.sh | sh
source $HOME/.local/bin/env
uvx -p 3.13 -w pytest==8.4.1 -w pytest-json-ctrf==0.3.5 pytest --ctrf /logs/verifier/ctrf.json \\
  /tests/test_outputs.py -rA
if [ $? -eq 0 ]; then echo 1 > /logs/verifier/reward.txt
else echo 0 > /logs/verifier/reward.txt; fi
"""


def test_the_verifiers_network_installs_move_to_build_time() -> None:
    found = installs.find("pip install numpy==2.1.0 && apt-get install -y git\n", TB2_TEST_SH)
    assert found.apt == {"curl", "jq", "git"}  # the Ubuntu pin dropped
    assert found.pip == {"numpy==2.1.0"}
    assert found.verifier_pip == {"pytest==8.4.1", "pytest-json-ctrf==0.3.5"}
    text, notes = installs.rewrite(TB2_TEST_SH, keep_pip=False)
    assert "astral.sh" not in text and "apt-get" not in text and ".local/bin/env" not in text
    assert "uvx -p 3.13" in text and "echo 1 > /logs/verifier/reward.txt" in text
    # The continued install line went whole: its tail did not become a command.
    assert "\n    jq" not in text and " jq" not in text.split("true", 1)[1].split("\n", 1)[0]
    assert len(notes) == 3


def test_apt_pins_are_dropped_only_in_install_commands() -> None:
    cmd = "apt-get update && apt-get install -y bc=1.07.1-3build1 vim && echo a=b"
    assert installs.unpin_apt(cmd) == "apt-get update && apt-get install -y bc vim && echo a=b"


def test_rewards_txt_json_and_fractions() -> None:
    assert parse_reward("reward.txt", "1\n") == 1.0
    assert parse_reward("reward.json", '{"reward": 0.25, "tests": 4}') == 0.25
    assert parse_reward("reward.json", '{"a": 1, "b": 0}') == 0.5
    assert parse_reward("reward.txt", "7") == 1.0  # correctness stays within [0, 1]
    for name, text in (("reward.txt", "yes"), ("reward.json", "[1]"), ("reward.txt", "nan")):
        with pytest.raises(RewardError):
            parse_reward(name, text)
    checks = as_checks(0.25, 0, "", 1.0)
    share = sum(c.weight for c in checks if c.passed) / sum(c.weight for c in checks)
    assert share == 0.25 and len(checks) == 2
    assert [c.passed for c in as_checks(1.0, 0, "", 1.0)] == [True]


def test_harbor_tasks_load_as_wwabench_tasks() -> None:
    task = load(TASKS / "py-env-greeting")
    assert task.harbor is not None and task.category == "harbor"
    assert (task.limits.wall_seconds, task.harbor.config.verifier_seconds) == (300.0, 120.0)
    assert task.harbor.config.memory_mb == 2048
    assert task.reference_steps == 1 and "solve.sh" in task.solution[0].args["command"]
    assert "pip install six" not in task.instruction  # the solution is not in the prompt
    # load_task tells the formats apart, so a suite directory may mix them.
    assert load_task(TASKS / "apt-jq-names").harbor is not None
    tasks, broken = scan_suite(TASKS)
    assert sorted(t.id for t in tasks) == [p.name for p in sorted(TASKS.iterdir())]
    assert broken == []


def test_a_task_without_its_verifier_is_refused(tmp_path: Path) -> None:
    task = tmp_path / "t"
    (task / "environment").mkdir(parents=True)
    (task / "tests").mkdir()
    (task / "tests" / "test.sh").write_text("echo 1 > /logs/verifier/reward.txt\n")
    (task / "instruction.md").write_text("Do it.\n")
    with pytest.raises(TaskError, match="Dockerfile: is missing"):
        load(task)
    assert (HERE / "unbuildable" / "multi-stage").is_dir()
