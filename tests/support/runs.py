"""Hand-made runs and episode results in a store: a run queued for a worker on the
fixture suite, and an episode result with the given score."""

from __future__ import annotations

from wwabench import __version__
from wwabench.config import EpisodeStatus
from wwabench.episode.record import AgentResult, Episode
from wwabench.lifecycle import host_facts
from wwabench.store import RunMeta, Store
from wwabench.tasks import load_suite, suite_version

from . import FIXTURES

SUITE = FIXTURES / "suite"
SECRET = b"0" * 43 + b"="  # a valid Fernet key (32 zero bytes, base64)


def queue(store: Store, run_id: str, model: str, seeds: list[int], **kw: object) -> None:
    tasks = load_suite(SUITE)
    meta = RunMeta(
        id=run_id,
        model=model,
        suite_version=kw.pop("version", suite_version(tasks)),  # type: ignore[arg-type]
        harness_version=__version__,
        params={},
        seeds=seeds,
        tasks=[t.id for t in tasks],
        sandbox="bwrap",
        host=host_facts(),
    )
    store.create_run(meta, {t.id: t.category for t in tasks}, queued=True, **kw)  # type: ignore[arg-type]


def episode_result(task: str, score: float, status: str = "ok", error: str = "") -> Episode:
    return Episode(
        task=task,
        category="",
        seed=0,
        status=EpisodeStatus(status),
        error=error,
        score=score,
        correctness=score / 100,
        efficiency=1.0,
        reference_steps=1,
        agent=AgentResult(
            stop="submitted" if status == "ok" else "",
            turns=1,
            steps=1,
            tool_calls=1,
            failed_calls=0,
            wrong_commands=0,
            input_tokens=10,
            output_tokens=5,
            model_seconds=0.1,
            retry_seconds=0.0,
            tool_seconds=0.1,
            turn_kinds={"native": 1},
        ),
        seconds=0.5,
        checks=[],
    )
