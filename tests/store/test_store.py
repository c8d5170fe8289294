"""The results store on SQLite and on a real PostgreSQL server: the same cases on both."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from wwabench.config import EpisodeStatus
from wwabench.episode.record import AgentResult, CheckResult, Episode
from wwabench.store import Base, RunMeta, Store, StoreError, connect, migrate
from wwabench.store.engine import MIGRATIONS

TASKS = {"alpha": "git", "beta": "shell"}


def meta(run_id: str = "run-1", seeds: list[int] | None = None) -> RunMeta:
    return RunMeta(
        id=run_id,
        model="scripted:x",
        suite_version="abc",
        harness_version="0.1.0",
        params={"temperature": 0.0},
        seeds=seeds or [3, 4],
        tasks=list(TASKS),
        sandbox="bwrap",
        host={"python": "3.11"},
        price_in=1.0,
        price_out=2.0,
    )


def result(task: str, seed: int, score: float = 70.0) -> Episode:
    return Episode(
        task=task,
        category=TASKS.get(task, ""),
        seed=seed,
        status=EpisodeStatus.OK,
        error="",
        score=score,
        correctness=1.0,
        efficiency=0.0,
        reference_steps=2,
        agent=AgentResult(
            stop="submitted",
            turns=3,
            steps=2,
            tool_calls=2,
            failed_calls=0,
            wrong_commands=1,
            input_tokens=100,
            output_tokens=20,
            model_seconds=1.0,
            retry_seconds=0.0,
            tool_seconds=0.2,
            turn_kinds={"native": 3},
        ),
        seconds=1.5,
        checks=[
            CheckResult(name="c1", weight=1.0, passed=True, exit_code=0, output="ok", seconds=0.1)
        ],
    )


def test_a_read_run_imports_into_another_store_and_reads_back_the_same(
    db_url: str, tmp_path: Path
) -> None:
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    source.create_run(meta(), TASKS, name="Model X", model_meta={"open_weights": True})
    for task, seed in source.pending("run-1"):
        transcript = f'{{"event": "episode_start", "task": "{task}"}}\n'
        source.record(
            "run-1", replace(result(task, seed, score=10.0 * seed), transcript=transcript)
        )
    source.finish_run("run-1", 3.0)
    run = source.run("run-1")
    # Reads leave transcripts out of the records; an import carries them in.
    with_text = replace(
        run,
        episodes=[
            replace(
                e,
                record=replace(
                    e.record, transcript=source.transcript("run-1", e.record.task, e.record.seed)
                ),
            )
            for e in run.episodes
        ],
    )

    target = Store(db_url)
    target.import_runs([with_text])
    back = target.run("run-1")
    assert back == run  # every field, every episode, every check, in order
    assert back.model.name == "Model X" and back.model.meta == {"open_weights": True}
    assert target.transcript("run-1", "beta", 4) == '{"event": "episode_start", "task": "beta"}\n'
    assert target.pending("run-1") == [] and target.latest_run("scripted:x") == back


def newest_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    (head,) = ScriptDirectory.from_config(cfg).get_heads()  # one line of revisions
    return str(head)


def test_schema_of_the_migrations_matches_the_models(db_url: str) -> None:
    engine = connect(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_run_lifecycle_and_first_result_wins(db_url: str) -> None:
    store = Store(db_url)
    store.create_run(meta(), TASKS)
    assert store.pending("run-1") == [("alpha", 3), ("beta", 3), ("alpha", 4), ("beta", 4)]
    assert store.record("run-1", replace(result("alpha", 3), transcript='{"event": "x"}\n'))
    # A repeated delivery of the same episode changes nothing.
    assert not store.record("run-1", replace(result("alpha", 3, score=5.0), transcript="other"))
    store.finish_run("run-1", 2.0)
    run = store.run("run-1")
    assert run.status == "interrupted" and run.seconds == 2.0
    (alpha3,) = [e for e in run.episodes if (e.record.task, e.record.seed) == ("alpha", 3)]
    assert alpha3.record.score == 70.0 and alpha3.record.checks[0].name == "c1"
    assert alpha3.trial == 0
    assert store.transcript("run-1", "alpha", 3) == '{"event": "x"}\n'
    for task, seed in store.pending("run-1"):
        store.record("run-1", result(task, seed))
    store.finish_run("run-1", 1.0)
    run = store.run("run-1")
    assert run.status == "done" and run.seconds == 3.0 and run.finished is not None
    assert store.pending("run-1") == []


def test_unknown_episode_and_run_are_clear_errors(db_url: str) -> None:
    store = Store(db_url)
    store.create_run(meta(), TASKS)
    try:
        store.record("run-1", result("gamma", 3))
    except StoreError as exc:
        assert "no episode gamma seed 3" in str(exc)
    else:
        raise AssertionError("recording an unknown episode must fail")
    for bad, message in (("zzz", "no run matches 'zzz'"), ("run-", "matches several runs")):
        store.create_run(replace(meta("run-2")), TASKS) if bad == "run-" else None
        try:
            store.find_run(bad)
        except StoreError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"find_run({bad!r}) must fail")
    assert store.find_run("run-1") == "run-1"


def test_reads_of_models_runs_and_their_latest_finished_run(db_url: str) -> None:
    store = Store(db_url)
    assert store.latest_run("scripted:x") is None and store.latest_runs() == {}
    assert store.runs_fingerprint()[0] == 0 and store.suite_versions() == []
    for run_id, suite, done in (
        ("run-1", "abc", True),
        ("run-2", "def", True),
        ("run-3", "ghi", False),
    ):
        store.create_run(replace(meta(run_id), suite_version=suite), TASKS)
        for task, seed in store.pending(run_id) if done else []:
            store.record(run_id, result(task, seed))
        store.finish_run(run_id, 1.0)
    store.create_run(replace(meta("other"), model="scripted:y"), TASKS)
    before = store.runs_fingerprint()
    assert before[0] == 4 and before[2] == 2
    latest = store.latest_run("scripted:x")
    assert latest is not None and latest.id == "run-2"
    assert latest.model.spec == "scripted:x" and latest.records[0].checks[0].name == "c1"
    assert {spec: r.id for spec, r in store.latest_runs().items()} == {"scripted:x": "run-2"}
    assert store.latest_run("scripted:y") is None
    assert [r.id for r in store.runs(model="scripted:x")] == ["run-1", "run-2", "run-3"]
    assert [r.id for r in store.runs(model="scripted:y")] == ["other"]
    assert [r.id for r in store.runs("done", suite_version="abc")] == ["run-1"]
    assert store.suite_versions() == ["abc", "def", "ghi"]
    assert store.suite_versions(status="done") == ["abc", "def"]
    found = store.find_model("scripted:y")
    assert found is not None and found.name == "scripted:y" and store.find_model("zzz") is None
    for task, seed in store.pending("other"):
        store.record("other", result(task, seed))
    store.finish_run("other", 1.0)
    assert store.runs_fingerprint() != before
    assert set(store.latest_runs()) == {"scripted:x", "scripted:y"}


def test_an_old_database_is_upgraded_with_its_data(db_url: str) -> None:
    """A store made by revision 0001 gains the later columns and keeps its rows."""
    engine = create_engine(db_url)
    migrate(engine, "0001")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO models (spec, name, meta, created) VALUES ('m', 'm', '{}', :now)"),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO runs (id, model_id, suite_version, harness_version, params, seeds,"
                " tasks, sandbox, host, status, created, seconds) VALUES ('old', 1, 'v', '0.0.1',"
                " '{}', '[0]', '[\"alpha\"]', 'bwrap', '{}', 'done', :now, 4.5)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO episodes (run_id, task, category, seed, trial, status, error, score,"
                " correctness, efficiency, solved, reference_steps, stop, turns, steps,"
                " tool_calls, failed_calls, wrong_commands, input_tokens, output_tokens, seconds,"
                " model_seconds, retry_seconds, tool_seconds, turn_kinds) VALUES ('old', 'alpha',"
                " 'git', 0, 0, 'ok', '', 85.0, 1.0, 0.5, true, 2, 'submitted', 2, 2, 2, 0, 0, 1,"
                " 1, 1.0, 0.5, 0.0, 0.1, '{}')"
            )
        )
    engine.dispose()
    store = Store(db_url)  # opening upgrades to the newest revision
    run = store.run("old")
    assert run.seconds == 4.5 and run.price_in is None
    (ep,) = run.episodes
    assert ep.record.score == 85.0 and ep.attempts == 0
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT lease_owner FROM episodes")).scalar() is None
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == newest_revision()


def test_default_store_lives_in_the_data_directory(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.delenv("WWABENCH_DB")
    mp.setenv("WWABENCH_DATA", str(tmp_path / "data"))
    store = Store()
    assert (tmp_path / "data" / "wwabench.db").exists()
    store.close()
