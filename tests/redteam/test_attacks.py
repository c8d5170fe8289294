"""The red-team suite: every attack in attacks/ must score exactly 0 with status ok.

An attack is one TOML file: a scripted agent (`[[step]]`, as in a solution.toml), the
red-team round it plays (`round`, under tests/fixtures/redteam/), and optional
expectations (`wrong_commands`: the failing commands the harness must count however
the agent tries to hide them). Adding an attack is adding a file.

Each attack runs with the harness as the user running the tests and, when that is
root, once more with the harness as an unprivileged user: the sandbox is built
differently in the two cases (as root, bubblewrap runs as a fresh uid of its own).
Every attack is also checked for leaks: nothing stored from the round may quote a
line of the round's hidden checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest

from wwabench.episode.checks import QUOTABLE_LINE
from wwabench.episode.runner import run_episode
from wwabench.models import resolve
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import load_task

from .run_attack import ROUNDS, run_attack

ATTACKS = sorted((Path(__file__).parent / "attacks").glob("*.toml"))
REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


def as_unprivileged_user(attack: Path, tmp_path: Path) -> dict[str, Any]:
    """Run the attack in a harness process of an unprivileged user.

    The repository may sit where that user cannot go (a clone in /root), so it is
    bind-mounted, in a mount namespace of the harness's own, at a path anyone can
    read; the harness runs on the system's python3 with the project's packages.
    """
    python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not Path(python).exists():
        pytest.skip(f"the unprivileged run needs {python} to use this venv's packages")
    top = Path(tempfile.mkdtemp(prefix="wwabench-redteam-"))  # pytest's tmp is private
    try:
        return _run_unprivileged(attack, top, python)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _run_unprivileged(attack: Path, top: Path, python: str) -> dict[str, Any]:
    top.chmod(0o755)
    mount = top / "repo"
    out = top / "out"
    for d in (mount, out):
        d.mkdir()
    out.chmod(0o777)
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    inside = mount / site.relative_to(REPO) if site.is_relative_to(REPO) else site
    script = (
        f'mount --bind "{REPO}" "{mount}" && exec setpriv --reuid={NOBODY} --regid={NOBODY} '
        f"--clear-groups --inh-caps=-all {python} -B "
        f'"{mount}/tests/redteam/run_attack.py" "{mount}/tests/redteam/attacks/{attack.name}" '
        f'"{out}"'
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(out),
        "TMPDIR": str(out),
        "PYTHONPATH": f"{mount}/src:{mount}:{inside}",
    }
    r = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    result: dict[str, Any] = json.loads(r.stdout)
    return result


def as_this_user(attack: Path, tmp_path: Path) -> dict[str, Any]:
    return run_attack(attack, tmp_path)


USERS = {"this user": as_this_user, "unprivileged": as_unprivileged_user}


@pytest.mark.sandbox
@pytest.mark.parametrize("user", list(USERS))
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.stem for a in ATTACKS])
def test_attack_scores_zero(attack: Path, user: str, tmp_path: Path) -> None:
    if user == "unprivileged" and os.geteuid() != 0:
        pytest.skip("the harness already runs unprivileged here (the other case)")
    if user == "unprivileged" and not shutil.which("unshare"):
        pytest.skip("util-linux unshare is needed to run the harness as another user")
    expect = tomllib.loads(attack.read_text())
    got = USERS[user](attack, tmp_path)
    assert got["harness_uid"] == (NOBODY if user == "unprivileged" else os.geteuid())
    assert got["status"] == "ok", f"the round was excluded: {got['error']}"
    assert got["score"] == 0.0 and got["correctness"] == 0.0
    end = got["events"][-1]
    assert end["event"] == "episode_end" and end["status"] == "ok"
    if "wrong_commands" in expect:
        assert got["wrong_commands"] == expect["wrong_commands"]
    assert_no_check_text(got["events"], ROUNDS / expect["round"] / "tests")


def assert_no_check_text(events: list[dict[str, Any]], tests: Path) -> None:
    """No stored event quotes a line of the hidden checks (at least QUOTABLE_LINE long)."""
    stored = json.dumps(events)
    for path in tests.rglob("*"):
        if path.is_file():
            for line in path.read_text().splitlines():
                line = line.strip()
                if len(line) >= QUOTABLE_LINE:
                    assert json.dumps(line)[1:-1] not in stored, f"leaked: {line!r}"


@pytest.mark.sandbox
@pytest.mark.parametrize("round_dir", sorted(ROUNDS.iterdir()), ids=lambda p: p.name)
def test_the_rounds_are_fair(round_dir: Path, tmp_path: Path) -> None:
    """Each round solved honestly scores 100: the zeros above are the attacks'."""
    task = load_task(round_dir)
    episode = run_episode(task, 0, resolve("oracle"), BwrapFactory(), tmp_path / "t.jsonl")
    assert episode.status == "ok" and episode.score == 100.0, episode.error


def test_every_attack_names_an_existing_round() -> None:
    for attack in ATTACKS:
        spec = tomllib.loads(attack.read_text())
        assert (ROUNDS / spec["round"] / "task.toml").is_file(), attack.name
        assert spec.get("step") and spec.get("finding"), f"{attack.name}: steps and a finding"
