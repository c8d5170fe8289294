"""How many turns the stuck rules saved in a run: per rule, the rounds it ended and the
turns left before the round's step limit.

    uv run python bench/turns_saved.py RUN_DIR [--suite ladder]

RUN_DIR is the run's output directory (`runs/<run id>`, holding `transcripts/`). The
figure is an upper bound on the turns saved: without the rule a round could also have
ended earlier at its wall limit or by a late `submit`.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from wwabench.episode.transcript import read_transcript
from wwabench.tasks import load_suite


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--suite", type=Path, default=Path("ladder"))
    args = parser.parse_args()
    limits = {t.id: t.limits.max_steps for t in load_suite(args.suite)}
    rounds: Counter[str] = Counter()
    saved: Counter[str] = Counter()
    turns = 0
    for path in sorted((args.run_dir / "transcripts").glob("*.jsonl")):
        task = path.name.split("__")[0]
        events = read_transcript(path)
        turns += sum(e["event"] == "model_turn" for e in events)
        for e in events:
            if e["event"] == "stuck":
                rule = "token cap" if "token limit" in e["reason"] else "same call, same result"
                rounds[rule] += 1
                saved[rule] += limits[task] - e["turn"]
    print(f"{turns} turns taken")
    for rule in sorted(rounds):
        print(f"{rule}: ended {rounds[rule]} rounds, at most {saved[rule]} turns saved")


if __name__ == "__main__":
    main()
