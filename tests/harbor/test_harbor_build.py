"""Harbor tasks built for real (mmdebstrap, RUN steps under bubblewrap), run and
verified in real sandboxes. The first run builds a Debian trixie root (about 30 s)
and four environments (about 1 min) into pytest's cache; later runs reuse them."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wwabench.cli import app
from wwabench.episode.runner import run_episode
from wwabench.harbor.rootfs import CACHE_ENV, ROOT_CACHE, build_environment, cache_dir
from wwabench.harbor.task import load
from wwabench.harbor.taskdir import load_harbor_dir
from wwabench.models import resolve
from wwabench.sandbox import SandboxError, SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory, closed_ancestor

from .conftest import HERE, TASKS

pytestmark = [pytest.mark.harbor, pytest.mark.sandbox]


def test_import_builds_and_validates_every_task(harbor_cache: Path) -> None:
    paths = [str(p) for p in sorted(TASKS.iterdir())]
    result = CliRunner().invoke(app, ["import", "harbor", *paths, "--notes"])
    assert result.exit_code == 0, result.output
    assert "4 task(s) built and valid" in result.output
    for name in ("apt-jq-names", "py-env-greeting", "server-left-running", "ubuntu-fractional"):
        assert name in result.output
    # What the importer did to get there, task by task.
    assert "ubuntu-fractional: line 3: apt version pins dropped" in result.output
    assert "py-env-greeting: verifier packages: pytest==8.4.1" in result.output
    assert "py-env-greeting: preinstalled for solve.sh (pip): six" in result.output


def test_a_task_that_cannot_be_built_says_why(harbor_cache: Path) -> None:
    result = CliRunner().invoke(
        app, ["import", "harbor", str(HERE / "unbuildable" / "multi-stage")]
    )
    assert result.exit_code == 1
    assert "not built" in result.output and "second FROM" in result.output


def test_built_environments_come_from_the_cache(harbor_cache: Path) -> None:
    task = load_harbor_dir(TASKS / "apt-jq-names")
    build_environment(task)
    start = time.monotonic()
    again = build_environment(task)
    assert again.cached and time.monotonic() - start < 1.0
    assert again.workdir == "/app" and (again.root / "app" / "team.json").is_file()
    assert again.root.is_relative_to(harbor_cache)
    meta = json.loads((again.path / "environment.json").read_text())
    assert meta["size_bytes"] > 50 * 2**20 and meta["seconds"] > 0


def test_a_root_out_of_the_sandbox_users_reach_is_refused_with_the_reason(
    harbor_cache: Path,
) -> None:
    """As root, bubblewrap runs as an unused uid, which cannot bind a root it may not walk
    to (a cache under /root, a clone in a private temporary directory): a clear error
    that names the closed directory, not a lost supervisor."""
    assert os.geteuid() == 0, "the Harbor tests run as root (.ci/run does)"
    env = build_environment(load_harbor_dir(TASKS / "apt-jq-names"))
    private = Path(tempfile.mkdtemp(dir=harbor_cache))  # mode 0700: root's alone
    hidden = private / "root"
    os.rename(env.root, hidden)
    try:
        with pytest.raises(SandboxError, match=f"{private} lets only its owner in"):
            BwrapFactory().create(SandboxSpec(root=hidden, workdir=env.workdir))
    finally:
        os.rename(hidden, env.root)
        private.rmdir()
    with BwrapFactory().create(SandboxSpec(root=env.root, workdir=env.workdir)) as box:
        result = box.exec("command -v jq", timeout=60)
    assert result.exit_code == 0 and result.stdout.decode().rstrip().endswith("/jq")


def test_the_default_cache_is_within_the_sandbox_users_reach(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert os.geteuid() == 0 and cache_dir() == ROOT_CACHE
    assert closed_ancestor(cache_dir()) is None


def _scripted(tmp_path: Path, turns: list[dict[str, object]]) -> str:
    script = tmp_path / "agent.json"
    script.write_text(json.dumps(turns))
    return f"scripted:{script}"


def bash(command: str) -> dict[str, object]:
    return {"tool": "bash", "args": {"command": command}}


def test_partial_work_earns_the_fractional_reward(harbor_cache: Path, tmp_path: Path) -> None:
    task = load(TASKS / "ubuntu-fractional")
    agent = resolve(_scripted(tmp_path, [bash("echo 42 > sum.txt && echo 42 > product.txt")]))
    ep = run_episode(task, 0, agent, BwrapFactory(), tmp_path / "t.jsonl")
    assert ep.status == "ok", ep.error
    assert ep.correctness == pytest.approx(0.5)
    assert [c.passed for c in ep.checks] == [True, False]
    assert "2 of 4 right" in ep.checks[0].output


def test_the_agent_reaches_neither_tests_nor_reward_nor_network(
    harbor_cache: Path, tmp_path: Path
) -> None:
    """An agent that does not do the work, but looks for the tests, has no network,
    and leaves a process behind that keeps trying to write a reward of 1 (into
    /logs/verifier, and through any process's /proc/PID/fd/3) scores 0."""
    task = load(TASKS / "apt-jq-names")
    writer = (
        "while :; do echo 1 > /logs/verifier/reward.txt; "
        "for d in /proc/[0-9]*/fd/3; do echo 1 > $d/logs/verifier/reward.txt; done; "
        "done"
    )
    turns = [
        bash("ls -la /tests/ /logs/verifier/ /run/wwa-private/ 2>&1; cat /tests/test.sh"),
        bash("python3 -c \"import urllib.request as u; u.urlopen('http://deb.debian.org')\""),
        bash("id -u; touch /usr/x; echo $HOME; touch ~/ok && pwd && ls"),
        bash(f"nohup bash -c {writer!r} >/dev/null 2>&1 & sleep 0.5; echo started"),
    ]
    path = tmp_path / "t.jsonl"
    ep = run_episode(task, 0, resolve(_scripted(tmp_path, turns)), BwrapFactory(), path)
    assert ep.status == "ok", ep.error
    outputs = [
        json.loads(line) for line in path.read_text().splitlines() if '"tool_result"' in line
    ]
    observed = [o.get("output", "") for o in outputs]
    assert "No such file or directory" in observed[0] and "Permission denied" in observed[0]
    assert "Ann" not in observed[0]  # test.sh's expected names never reached the agent
    assert outputs[1].get("outcome") == "wrong"  # no network
    assert "Read-only file system" in observed[2] and "/root" in observed[2]
    assert "team.json" in observed[2] and "/app" in observed[2]
    assert "started" in observed[3]
    assert ep.correctness == 0.0 and [c.passed for c in ep.checks] == [False]
    assert "names.txt is wrong or missing" in ep.checks[0].output


def test_the_agent_runs_in_the_tasks_environment(harbor_cache: Path, tmp_path: Path) -> None:
    """ENV, WORKDIR, the files COPY put there, the packages RUN installed, and the
    verifier's tools out of the agent's PATH."""
    task = load(TASKS / "py-env-greeting")
    command = (
        "echo $APP_USER $APP_HOME; pwd; ls; python3 -c 'import yaml; print(yaml.__name__)'; "
        "command -v uvx || echo no-uvx; python3 -c 'import pytest' 2>&1 | tail -1"
    )
    turns = [bash(command)]
    path = tmp_path / "t.jsonl"
    ep = run_episode(task, 0, resolve(_scripted(tmp_path, turns)), BwrapFactory(), path)
    assert ep.status == "ok", ep.error
    line = next(x for x in path.read_text().splitlines() if '"tool_result"' in x)
    out = json.loads(line)["output"]
    assert "harbor /srv/app" in out and "/srv/app" in out
    assert "config.yaml" in out and "greet.py" in out and "yaml" in out
    assert "no-uvx" in out and "ModuleNotFoundError" in out
    assert ep.correctness == 0.0
    assert os.geteuid() == 0  # building needs root: this suite runs as root in CI
