"""SYNTHETIC DATA FOR LOAD TESTING ONLY: fills a store with fake models, runs and episodes.

    uv run python bench/seed_board.py --db sqlite:////tmp/board.db [--models 30] \
        [--episodes 10000] [--seed 0]

Nothing written here was measured: the scores are drawn from made-up distributions so that
the website and the leaderboard queries can be exercised at a realistic size (30 models
x 12 rounds x ~28 trials = ~10,000 episodes, each with a check result and a short
transcript). The rows are valid for the store (the real round ids and categories of
`wwabench.tasks.load_suite()`, the real suite version, scores computed with the
methodology's formula), and they are marked: model specs start with `synthetic:`, run ids
with `synthetic-`, the sandbox is `synthetic` and every model's metadata has
`"synthetic": true`. Never seed a store whose results are published.

The runs go in through `Store.import_runs` (bulk inserts, one per table), so 10,000
episodes take seconds, not the minutes one transaction per episode would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import time
from dataclasses import dataclass, replace
from typing import Any

from wwabench import __version__
from wwabench.config import EpisodeStatus, RunStatus
from wwabench.episode.record import AgentResult, CheckResult, Episode
from wwabench.store import ModelInfo, Store, StoredEpisode, StoredRun
from wwabench.tasks import load_suite, suite_version

SIZES = (0.5, 1.5, 3.0, 7.0, 8.0, 14.0, 32.0, 70.0)  # billions, for the local models
ERROR_RATE = 0.003  # infrastructure errors: rare, but the pages must show them


@dataclass(frozen=True)
class Round:
    task: str
    category: str
    difficulty: float  # on the logit scale: higher is harder
    reference_steps: int


@dataclass(frozen=True)
class FakeModel:
    spec: str
    name: str
    ability: float  # on the logit scale
    meta: dict[str, Any]


def _model(i: int, rng: random.Random) -> FakeModel:
    hosted = rng.random() < 0.4
    meta: dict[str, Any] = {"synthetic": True, "hosted": hosted, "open_weights": not hosted}
    size = ""
    if not hosted:
        meta["params_billion"] = rng.choice(SIZES)
        size = f" {meta['params_billion']:g}B"
    # Bigger local models tend to do better; hosted ones are spread over the upper range.
    base = math.log(meta.get("params_billion", 100.0)) / 2 - 1.0
    return FakeModel(
        spec=f"synthetic:model-{i:02d}",
        name=f"synthetic-{'hosted' if hosted else 'local'}-{i:02d}{size}",
        ability=base + rng.gauss(0.0, 0.7),
        meta=meta,
    )


def _episode(model: FakeModel, rnd: Round, seed: int, trial: int, rng: random.Random) -> Episode:
    """One episode, its outcome drawn from the model's ability and the round's difficulty."""
    base = Episode(
        task=rnd.task, category=rnd.category, seed=seed, reference_steps=rnd.reference_steps
    )
    if rng.random() < ERROR_RATE:
        return replace(base, status=EpisodeStatus.ERROR, error="synthetic infrastructure error")
    p = 1.0 / (1.0 + math.exp(-(model.ability - rnd.difficulty)))
    solved = rng.random() < p
    # Unsolved rounds often earn partial credit from some of their checks.
    correctness = 1.0 if solved else rng.choice((0.0, 0.0, 0.25, 0.5, 0.75))
    steps = rnd.reference_steps + int(rng.expovariate(1.0 / (1.0 + 4.0 * (1.0 - p))))
    failed = int(rng.expovariate(1.0 / (0.05 + 0.5 * (1.0 - p))))
    wrong = int(rng.expovariate(1.0 / (0.2 + 1.5 * (1.0 - p))))
    efficiency = min(1.0, (rnd.reference_steps + 2) / steps) * max(
        0.0, 1 - 0.2 * failed - 0.1 * wrong
    )
    bad_turns = min(steps, failed)
    seconds = steps * rng.uniform(1.0, 6.0)
    agent = AgentResult(
        stop="submitted" if rng.random() < 0.9 else "max_steps",
        turns=steps,
        steps=steps,
        tool_calls=steps,
        failed_calls=failed,
        wrong_commands=wrong,
        input_tokens=steps * rng.randint(800, 2500),
        output_tokens=steps * rng.randint(40, 300),
        model_seconds=0.7 * seconds,
        tool_seconds=0.2 * seconds,
        turn_kinds={"native": steps - bad_turns, **({"malformed": bad_turns} if bad_turns else {})},
    )
    check = CheckResult("synthetic check", 1.0, solved, exit_code=0 if solved else 1, seconds=0.1)
    return replace(
        base,
        score=100.0 * (0.7 * correctness + 0.3 * correctness * efficiency),
        correctness=correctness,
        efficiency=efficiency,
        agent=agent,
        checks=[check],
        seconds=seconds,
    )


def _transcript(model: FakeModel, ep: Episode) -> str:
    """A few lines in the transcript format, enough for the transcript page to show."""
    events: list[dict[str, Any]] = [
        {"t": 0.0, "event": "episode_start", "task": ep.task, "seed": ep.seed,
         "model": model.spec},
        {"t": 0.0, "event": "instruction", "text": "Synthetic round (load-test data).",
         "params": {}},
        {"t": 1.0, "event": "model_turn", "turn": 1, "latency": 1.0, "kind": "native",
         "finish": "tool_calls", "text": "",
         "tool_calls": [{"id": "c1", "name": "bash", "arguments": {"command": "ls"}}],
         "usage": {"input": ep.agent.input_tokens, "output": ep.agent.output_tokens},
         "raw": None},
        {"t": 1.1, "event": "tool_result", "turn": 1, "call_id": "c1", "tool": "bash",
         "outcome": "ok", "exit_code": 0, "duration": 0.01, "output_bytes": 22,
         "output": "exit code: 0\nstdout:\nREADME\n"},
    ]  # fmt: skip
    if ep.status == EpisodeStatus.OK:
        events += [
            {"t": 1.2, "event": "submit", "turn": 1, "call_id": "c2"},
            {"t": 1.5, "event": "check", "name": "synthetic check", "weight": 1.0,
             "passed": ep.solved, "exit_code": 0 if ep.solved else 1, "output": ""},
            {"t": 1.6, "event": "episode_end", "status": EpisodeStatus.OK, "score": ep.score,
             "correctness": ep.correctness, "efficiency": ep.efficiency,
             "seconds": ep.seconds},
        ]  # fmt: skip
    else:
        events.append({"t": 1.2, "event": "error", "error": ep.error})
    return "".join(json.dumps(e) + "\n" for e in events)


def seed(store: Store, models: int = 30, episodes: int = 10_000, rng_seed: int = 0) -> None:
    """Add `models` synthetic models, each with one done run over the real suite's rounds,
    with trials chosen so the episodes total about `episodes`. Synthetic, for load tests."""
    rng = random.Random(rng_seed)
    tasks = load_suite()
    version = suite_version(tasks)
    rounds = [Round(t.id, t.category, rng.gauss(0.0, 1.0), rng.randint(2, 8)) for t in tasks]
    trials = max(1, round(episodes / (models * len(rounds))))
    start = dt.datetime.now(dt.UTC)
    stamp = start.strftime("%Y%m%d-%H%M%S-%f")  # a second seeding adds runs, never clashes
    runs = []
    for i in range(models):
        model = _model(i, rng)
        created = start - dt.timedelta(minutes=models - i)
        stored = []
        for trial in range(trials):
            for rnd in rounds:
                ep = _episode(model, rnd, trial, trial, rng)
                ep = replace(ep, transcript=_transcript(model, ep))
                stored.append(StoredEpisode(ep, trial=trial, finished=start))
        runs.append(
            StoredRun(
                id=f"synthetic-{stamp}-{i:03d}",
                model=ModelInfo(model.spec, model.name, model.meta),
                suite_version=version,
                harness_version=__version__,
                params={"synthetic": True},
                seeds=list(range(trials)),
                tasks=[r.task for r in rounds],
                sandbox="synthetic",
                host={"synthetic": True},
                status=RunStatus.DONE,
                created=created,
                finished=created + dt.timedelta(minutes=1),
                seconds=60.0,
                price_in=None,
                price_out=None,
                submitted_by=None,
                queued=False,
                episodes=stored,
            )
        )
    store.import_runs(runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Fill a store with SYNTHETIC leaderboard data, for load testing only."
    )
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of the store to fill")
    parser.add_argument("--models", type=int, default=30)
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="random seed of the fake data")
    args = parser.parse_args()
    store = Store(args.db)
    began = time.perf_counter()
    try:
        seed(store, args.models, args.episodes, args.seed)
    finally:
        store.close()
    print(
        f"seeded {args.models} synthetic models (~{args.episodes} episodes) into {args.db} "
        f"in {time.perf_counter() - began:.1f} s"
    )


if __name__ == "__main__":
    main()
