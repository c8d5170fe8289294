"""What a stored run says: its score with an interval, and everything printed beside it.

The estimators live in `stats`; this module turns stored episodes into their inputs and
collects the figures that reports, the leaderboard and the service show.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from statistics import fmean
from typing import Any

from wwabench.config import EpisodeStatus, RunStatus
from wwabench.episode.loop import FAILED_TURNS
from wwabench.episode.record import Episode
from wwabench.results.stats import (
    Comparison,
    Estimate,
    Obs,
    PassK,
    compare,
    pass_hat_k,
    rate_estimate,
    score_estimate,
)
from wwabench.store import Store, StoredEpisode, StoredRun


def board_note(compare: str) -> str:
    """How to read a board: the one text every place that shows one prints (`compare`
    names that place's paired test)."""
    return (
        "Score 0-100: 70% hidden-check correctness, 30% efficiency. 95% CI: t interval "
        "over rounds (rounds are the unit, trials are averaged within a round, the multiplier "
        "is t(rounds - 1), not 1.96); n/a where a run has a single round. Errored episodes "
        "are left out and counted. Overlapping intervals do not settle a ranking: "
        f"{compare} is a paired test on the same rounds and seeds."
    )


@dataclass(frozen=True)
class ProtocolAdherence:
    """Protocol adherence: how the model's turns were classified."""

    turns: int
    kinds: dict[str, float]
    clean_episodes: float  # share of episodes with no failed turn


@dataclass(frozen=True)
class Summary:
    run_id: str
    model: str
    name: str
    meta: dict[str, Any]
    status: str
    suite_version: str
    created: str
    rounds: int
    trials: int
    episodes: int
    errors: int
    pending: int
    score: Estimate
    correctness: Estimate
    efficiency: Estimate
    pass1: Estimate
    pass_k: PassK | None
    categories: dict[str, float]
    protocol: ProtocolAdherence
    failed_calls: int
    wrong_commands: int
    input_tokens: int
    output_tokens: int
    seconds: float
    model_seconds: float
    cost: float | None
    tasks: list[TaskLine] = field(default_factory=list)
    # How the scored episodes ended: submitted, stuck, step_limit, wall_limit, ...
    stops: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskLine:
    """One round of a run, its trials averaged."""

    task: str
    category: str
    episodes: int
    errors: int
    score: float
    correctness: float
    efficiency: float
    solved: int
    steps: float
    reference_steps: int
    failed_calls: int
    wrong_commands: int
    stops: str
    seconds: float


def scored(run: StoredRun) -> list[Episode]:
    return [e for e in run.records if e.status == EpisodeStatus.OK]


def observations(
    episodes: Sequence[Episode],
    value: Callable[[Episode], float] = lambda e: e.score,
    scale: float = 1.0,
) -> list[Obs]:
    return [Obs(e.task, e.seed, scale * value(e), e.solved) for e in episodes]


def earned_efficiency(episodes: Sequence[Episode]) -> list[Obs]:
    """Efficiency credit as earned, c x e on 0-100: a round that achieves nothing earns none.

    With it the score splits exactly: score = 0.7 correctness + 0.3 efficiency, so an agent
    that submits at once does not show a perfect efficiency beside its zero.
    """
    return [Obs(e.task, e.seed, 100.0 * e.correctness * e.efficiency, e.solved) for e in episodes]


def protocol(episodes: Sequence[Episode]) -> ProtocolAdherence:
    kinds: Counter[str] = Counter()
    for e in episodes:
        kinds.update(e.agent.turn_kinds)
    turns = sum(kinds.values())
    clean = [e for e in episodes if not any(e.agent.turn_kinds.get(k) for k in FAILED_TURNS)]
    return ProtocolAdherence(
        turns=turns,
        kinds={k: n / turns for k, n in sorted(kinds.items())} if turns else {},
        clean_episodes=len(clean) / len(episodes) if episodes else 0.0,
    )


def _task_lines(run: StoredRun) -> list[TaskLine]:
    by_task: dict[str, list[Episode]] = defaultdict(list)
    for e in run.records:
        by_task[e.task].append(e)
    lines = []
    for task, eps in by_task.items():
        ok = [e for e in eps if e.status == EpisodeStatus.OK]
        errors = sum(1 for e in eps if e.status == EpisodeStatus.ERROR)

        def mean(value: Callable[[Episode], float], ok: list[Episode] = ok) -> float:
            return fmean(float(value(e)) for e in ok) if ok else 0.0

        lines.append(
            TaskLine(
                task=task,
                category=eps[0].category,
                episodes=len(ok),
                errors=errors,
                score=mean(lambda e: e.score),
                correctness=mean(lambda e: e.correctness),
                efficiency=mean(lambda e: e.correctness * e.efficiency),
                solved=sum(e.solved for e in ok),
                steps=mean(lambda e: e.agent.steps),
                reference_steps=eps[0].reference_steps,
                failed_calls=sum(e.agent.failed_calls for e in ok),
                wrong_commands=sum(e.agent.wrong_commands for e in ok),
                stops=",".join(sorted({e.agent.stop for e in ok})) if ok else eps[0].error[:60],
                seconds=mean(lambda e: e.seconds),
            )
        )
    return lines


NOTHING = Estimate(math.nan, math.nan, math.nan, math.nan, 0, 0, 0, 0, 0)


def _or_none(estimate: Callable[[list[Obs]], Estimate], obs: list[Obs]) -> Estimate:
    """A run whose every episode errored (say, a bad key) has no score, not a crash."""
    return estimate(obs) if obs else NOTHING


def summarize(run: StoredRun) -> Summary:
    ok = scored(run)
    trials = len(run.seeds)
    cats: dict[str, list[float]] = defaultdict(list)
    lines = _task_lines(run)
    for line in lines:
        if line.episodes:
            cats[line.category].append(line.score)
    tokens_in = sum(e.agent.input_tokens for e in ok)
    tokens_out = sum(e.agent.output_tokens for e in ok)
    cost = None
    if run.price_in is not None and run.price_out is not None:
        cost = (tokens_in * run.price_in + tokens_out * run.price_out) / 1e6
    # pass^k needs k trials of a round; with one trial it is pass@1 and not repeated.
    pass_k = pass_hat_k(observations(ok), trials) if trials > 1 and ok else None
    return Summary(
        run_id=run.id,
        model=run.model.spec,
        name=run.model.name,
        meta=dict(run.model.meta),
        status=run.status,
        suite_version=run.suite_version,
        created=run.created.isoformat(timespec="seconds"),
        rounds=len({e.task for e in ok}),
        trials=trials,
        episodes=len(ok),
        errors=sum(1 for e in run.records if e.status == EpisodeStatus.ERROR),
        pending=sum(1 for e in run.episodes if not e.done),
        score=_or_none(score_estimate, observations(ok)),
        correctness=_or_none(score_estimate, observations(ok, lambda e: e.correctness, 100.0)),
        efficiency=_or_none(score_estimate, earned_efficiency(ok)),
        pass1=_or_none(rate_estimate, observations(ok)),
        pass_k=pass_k,
        categories={c: fmean(v) for c, v in sorted(cats.items())},
        protocol=protocol(ok),
        failed_calls=sum(e.agent.failed_calls for e in ok),
        wrong_commands=sum(e.agent.wrong_commands for e in ok),
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        seconds=run.seconds,
        model_seconds=sum(e.agent.model_seconds for e in ok),
        cost=cost,
        tasks=lines,
        stops=dict(Counter(e.agent.stop for e in ok).most_common()),
    )


def board(
    store: Store, suite_version: str | None = None, constrained: bool = False
) -> list[Summary]:
    """The latest finished run of each model (on one suite version if given), best first."""
    return board_of(store.runs(status=RunStatus.DONE, suite_version=suite_version), constrained)


def is_constrained(run: StoredRun) -> bool:
    return bool(run.params.get("tool_mode") == "constrained")


def board_of(done: Sequence[StoredRun], constrained: bool = False) -> list[Summary]:
    """Of finished runs (oldest first), each model's latest that scored anything, ranked.

    A run whose every episode was an infrastructure error (a bad key, an outage) has no
    score; it neither joins the board nor hides the model's previous result. Runs whose
    calls a grammar held to the schema (`--tool-mode constrained`) form a board of their
    own: they measure the work without the format, which the main board must not mix in.
    """
    latest: dict[str, StoredRun] = {}
    for run in done:
        if scored(run) and is_constrained(run) == constrained:
            latest[run.model.spec] = run
    return sorted((summarize(r) for r in latest.values()), key=lambda s: -s.score.mean)


class BoardCache:
    """The board per suite version, computed again only when the store's runs change.

    Summarizing every episode of every finished run takes seconds at 10,000 episodes, and
    the board changes only when a run is created or finishes: a finished run's episodes are
    written once and never change. So a count and the latest timestamps of the runs tell
    whether a cached board is still right, in one cheap query.
    """

    MAX_ENTRIES = 32  # suite versions come from the query string: keep the cache bounded

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._boards: dict[str | None, tuple[tuple[Any, ...], list[Summary]]] = {}

    def board(self, suite_version: str | None) -> list[Summary]:
        mark = self.store.runs_fingerprint()
        with self._lock:
            cached = self._boards.get(suite_version)
        if cached is not None and cached[0] == mark:
            return cached[1]
        rows = board(self.store, suite_version)
        with self._lock:
            if len(self._boards) >= self.MAX_ENTRIES:
                self._boards.clear()
            self._boards[suite_version] = (mark, rows)
        return rows


def compare_runs(a: StoredRun, b: StoredRun) -> Comparison:
    return compare(observations(scored(a)), observations(scored(b)))


def _number(v: Any) -> Any:
    """Strict JSON: an undefined SE (one round) or an infinite t is null, not NaN."""
    if isinstance(v, float):
        return round(v, 4) if math.isfinite(v) else None
    return v


def _estimate(e: Estimate) -> dict[str, Any]:
    return {k: _number(v) for k, v in asdict(e).items()}


def export(run: StoredRun, s: Summary) -> dict[str, Any]:
    """results.json: the run's metadata, its statistics and every episode."""
    return {
        "run_id": run.id,
        "status": run.status,
        "model": run.model.spec,
        "model_params": run.params,
        "suite_version": run.suite_version,
        "harness_version": run.harness_version,
        "seeds": run.seeds,
        "trials": len(run.seeds),
        "tasks": run.tasks,
        "sandbox": run.sandbox,
        "host": run.host,
        "created": s.created,
        "seconds": round(run.seconds, 3),
        "rounds": s.rounds,
        "episodes_scored": s.episodes,
        "episodes_error": s.errors,
        "episodes_pending": s.pending,
        "score": _estimate(s.score),
        "correctness": _estimate(s.correctness),
        "efficiency": _estimate(s.efficiency),
        "pass1": _estimate(s.pass1),
        "pass_k": {"k": s.pass_k.k, "excluded": s.pass_k.excluded, **_estimate(s.pass_k.estimate)}
        if s.pass_k is not None
        else None,
        "categories": {c: round(v, 3) for c, v in s.categories.items()},
        "protocol": asdict(s.protocol),
        "stops": s.stops,
        "failed_calls": s.failed_calls,
        "wrong_commands": s.wrong_commands,
        "tokens": {"input": s.input_tokens, "output": s.output_tokens},
        "cost": s.cost,
        "episodes": [_episode(e) for e in run.episodes],
    }


def _episode(stored: StoredEpisode) -> dict[str, Any]:
    """One entry of results.json's episodes: the record's fields, flat, in a fixed order."""
    e, agent = stored.record, stored.record.agent
    return {
        "task": e.task,
        "category": e.category,
        "seed": e.seed,
        "trial": stored.trial,
        "status": e.status,
        "error": e.error,
        "score": e.score,
        "correctness": e.correctness,
        "efficiency": e.efficiency,
        "solved": e.solved,
        "reference_steps": e.reference_steps,
        "stop": agent.stop,
        "turns": agent.turns,
        "steps": agent.steps,
        "tool_calls": agent.tool_calls,
        "failed_calls": agent.failed_calls,
        "wrong_commands": agent.wrong_commands,
        "input_tokens": agent.input_tokens,
        "output_tokens": agent.output_tokens,
        "seconds": e.seconds,
        "model_seconds": agent.model_seconds,
        "retry_seconds": agent.retry_seconds,
        "tool_seconds": agent.tool_seconds,
        "turn_kinds": agent.turn_kinds,
        "finished": stored.finished.isoformat() if stored.finished else None,
        "attempts": stored.attempts,
        "checks": [asdict(c) for c in e.checks],
    }
