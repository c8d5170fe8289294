"""No agent action can take a round out of its score (issue 16, finding 2).

Each attack is a scripted agent on a round whose hidden checks run the agent's own
script, so the agent's code runs in the check sandbox too. Before, each of these made
the round an excluded infrastructure error: a model could opt out of every round it
was failing. Now each scores exactly 0 with status ok, and the reason is recorded.
Adding an attack is adding an entry to ATTACKS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wwabench import checks
from wwabench.runner import Episode
from wwabench.tasks import Task, load_task
from wwabench.transcript import read_transcript

from .conftest import FIXTURES

ROUND = FIXTURES / "redteam" / "run-script"


def write(path: str, content: str) -> dict[str, Any]:
    return {"tool": "write_file", "args": {"path": path, "content": content}}


def bash(command: str) -> dict[str, Any]:
    return {"tool": "bash", "args": {"command": command}}


ATTACKS: dict[str, list[dict[str, Any]]] = {
    # Kills every process of its user, the check sandbox's supervisor among them.
    "kill -9 -1 in the check": [write("run.sh", "kill -9 -1\n")],
    # Sparse files fit the agent's disk and the export cap, but are written out in full
    # when the check sandbox unpacks the workspace, and fill its disk.
    "sparse files fill the check's disk": [
        bash("for i in 1 2 3 4 5; do truncate -s 60M pad$i; done"),
        write("run.sh", "echo nope\n"),
    ],
    # Finding 3: while one check runs the agent's script, the script plants a
    # usercustomize.py in HOME that makes every later Python check exit 0.
    "state carried from check to check": [
        write(
            "run.sh",
            "d=$(python3 -c 'import site; print(site.getusersitepackages())')\n"
            'mkdir -p "$d"\n'
            "printf 'import atexit, os\\natexit.register(lambda: os._exit(0))\\n'"
            ' > "$d/usercustomize.py"\n',
        ),
    ],
    # A fork bomb in the check, then a command that outlives the check's time limit.
    "fork bomb then a timeout in the check": [
        write("run.sh", ":(){ :|:& };: 2>/dev/null; sleep 1000\n"),
    ],
}


@pytest.fixture
def attack_round() -> Task:
    return load_task(ROUND)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_scores_zero_and_is_not_excluded(
    name: str,
    attack_round: Task,
    run_script: Callable[..., Episode],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.setattr(checks, "CHECK_SECONDS", 3.0)  # the timeout attack, quickly
    ep = run_script(attack_round, ATTACKS[name])
    assert ep.status == "ok", f"{name}: the round was excluded: {ep.error}"
    assert ep.score == 0.0 and ep.correctness == 0.0
    events = read_transcript(tmp_path / "transcript.jsonl")
    assert events[-1]["event"] == "episode_end" and events[-1]["status"] == "ok"


def test_the_round_is_fair(attack_round: Task, run_script: Callable[..., Episode]) -> None:
    """The same round solved honestly scores 100: the zeros above are the attacks'."""
    word = attack_round.variant(0).params["word"]
    ep = run_script(attack_round, [write("run.sh", f"echo {word}\n")])
    assert ep.status == "ok" and ep.score == 100.0, ep.error
