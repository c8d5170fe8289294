"""Run one red-team attack (a scripted agent in a TOML file) through one real episode.

    python tests/redteam/run_attack.py ATTACK.toml OUT_DIR

Prints what the attack achieved as JSON. The test suite imports `run_attack` to run
each attack as its own user, and runs this file as an unprivileged user when it is
root, so that every attack is tried against the harness both ways.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from wwabench.episode import checks
from wwabench.episode.runner import run_episode
from wwabench.episode.transcript import read_transcript
from wwabench.models import resolve
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import load_task

ROUNDS = Path(__file__).resolve().parents[1] / "fixtures" / "redteam"


def run_attack(attack: Path, out: Path) -> dict[str, Any]:
    spec = tomllib.loads(attack.read_text())
    checks.CHECK_SECONDS = float(spec.get("check_seconds", checks.CHECK_SECONDS))
    task = load_task(ROUNDS / spec["round"])
    transcript = out / "transcript.jsonl"
    episode = run_episode(task, 0, resolve(f"scripted:{attack}"), BwrapFactory(), transcript)
    return {
        "harness_uid": os.geteuid(),
        "status": episode.status,
        "score": episode.score,
        "correctness": episode.correctness,
        "error": episode.error,
        "wrong_commands": episode.agent.wrong_commands,
        "failed_calls": episode.agent.failed_calls,
        "events": read_transcript(transcript),
    }


if __name__ == "__main__":
    print(json.dumps(run_attack(Path(sys.argv[1]), Path(sys.argv[2]))))
