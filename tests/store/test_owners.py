"""Whose a model is, in the store, on SQLite and on PostgreSQL: registering, refusing,
claiming, renaming, handing over, verifying; anonymous runs waiting behind keyed ones; and
a store from before ownership upgraded with its models' owners."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from wwabench import lifecycle
from wwabench.config import OwnerKind
from wwabench.store import OPERATOR, NameTaken, NotOwner, RunMeta, Store, StoreError, Submitter
from wwabench.store.engine import migrate
from wwabench.store.owners import comparable
from wwabench.store.schema import RunRow
from wwabench.tasks import load_suite

from ..support.runs import SUITE, episode_result

TASKS = {"alpha": "git"}
ANON_A, ANON_B = Submitter.of_address("a" * 32), Submitter.of_address("b" * 32)


def meta(run_id: str, model: str) -> RunMeta:
    return RunMeta(
        id=run_id, model=model, suite_version="v", harness_version="0.1.0", params={},
        seeds=[0], tasks=list(TASKS), sandbox="bwrap", host={},
    )  # fmt: skip


def snapshot(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        models = conn.execute(text("SELECT * FROM models ORDER BY id")).all()
        runs = conn.execute(text("SELECT id, model_id FROM runs ORDER BY id")).all()
    return [tuple(r) for r in [*models, *runs]]


def test_the_first_submitter_owns_a_model_and_others_are_refused(db_url: str) -> None:
    store = Store(db_url)
    a, b = store.create_key("Acme", 100)[0], store.create_key("Mallory", 100)[0]
    store.create_run(meta("r1", "openai/m"), TASKS, submitter=Submitter.of_key(a), name="Acme M")
    before = snapshot(store)
    for who in (Submitter.of_key(b), ANON_A):
        with pytest.raises(NotOwner, match="belongs to the account 'Acme'"):
            store.create_run(meta("r2", "openai/m"), TASKS, submitter=who)
        with pytest.raises(NotOwner):
            store.admit("openai/m", who)
        with pytest.raises(NotOwner):
            store.describe_model("openai/m", who, name="Mallory M")
    assert snapshot(store) == before  # nothing stored, nothing renamed
    # The owner may run it again and rename it; a later name is not dropped.
    store.create_run(meta("r3", "openai/m"), TASKS, submitter=Submitter.of_key(a), name="Acme M2")
    model = store.find_model("openai/m")
    assert model is not None and model.name == "Acme M2" and model.owner.key_id == a
    assert model.owner_name == "Acme"


def test_the_operator_runs_anything_and_owns_what_it_registers(db_url: str) -> None:
    store = Store(db_url)
    a = store.create_key("Acme", 100)[0]
    store.create_run(meta("r1", "openai/op"), TASKS)  # the command line
    with pytest.raises(NotOwner, match="operator"):
        store.create_run(meta("r2", "openai/op"), TASKS, submitter=Submitter.of_key(a))
    store.create_run(meta("r3", "openai/acme"), TASKS, submitter=Submitter.of_key(a))
    store.create_run(meta("r4", "openai/acme"), TASKS)  # the operator may run a key's model
    model = store.find_model("openai/acme")
    assert model is not None and model.owner.kind == OwnerKind.KEY  # and its owner stays


def test_bundled_models_are_the_operators_and_anyone_may_run_them(db_url: str) -> None:
    store = Store(db_url)
    a = store.create_key("Acme", 100)[0]
    spec = "local/qwen2.5-coder-0.5b"
    store.create_run(meta("r1", spec), TASKS, submitter=Submitter.of_key(a))
    store.create_run(meta("r2", spec), TASKS, submitter=ANON_A)
    model = store.find_model(spec)
    assert model is not None and model.owner.kind == OwnerKind.OPERATOR
    with pytest.raises(NotOwner, match="bundled"):
        store.create_run(meta("r3", spec), TASKS, submitter=Submitter.of_key(a), name="Mine")
    with pytest.raises(NotOwner, match="bundled"):
        store.create_run(meta("r4", "local/other"), TASKS, submitter=ANON_B, model_meta={"x": 1})
    assert store.find_model("local/other") is None  # the refused first run left no model
    assert [r.submitter.key_id for r in store.runs(model=spec)] == [a, None]


def test_anonymous_models_belong_to_their_address_until_a_key_claims_them(db_url: str) -> None:
    store = Store(db_url)
    a = store.create_key("Acme", 100)[0]
    store.create_run(meta("r1", "openai/anon"), TASKS, submitter=ANON_A)
    store.create_run(meta("r2", "openai/anon"), TASKS, submitter=ANON_A)
    with pytest.raises(NotOwner, match="anonymously from another address"):
        store.create_run(meta("r3", "openai/anon"), TASKS, submitter=ANON_B)
    store.create_run(meta("r4", "openai/anon"), TASKS, submitter=Submitter.of_key(a), name="Acme")
    model = store.find_model("openai/anon")
    assert model is not None and (model.owner.kind, model.owner.key_id) == ("key", a)
    assert model.owner.address is None and model.name == "Acme"
    with pytest.raises(NotOwner, match="Acme"):
        store.create_run(meta("r5", "openai/anon"), TASKS, submitter=ANON_A)
    # The earlier runs keep their anonymous submitter.
    assert [r.submitter.kind for r in store.runs(model="openai/anon")] == [
        "anonymous",
        "anonymous",
        "key",
    ]


def test_names_must_not_pass_for_another_model(db_url: str) -> None:
    store = Store(db_url)
    a, b = (Submitter.of_key(store.create_key(n, 100)[0]) for n in ("Acme", "Mallory"))
    store.create_run(meta("r1", "openai/gpt-4o"), TASKS, submitter=a, name="GPT-4o (Acme)")
    store.create_run(meta("r2", "openai/evil"), TASKS, submitter=b)
    before = snapshot(store)
    for name in (
        "gpt 4o (acme)",
        "GPT_4O ACME",
        "openai/gpt-4o",
        "OpenAI GPT-4o",
        "\uff27\uff30\uff34-4o acme",
    ):
        with pytest.raises(NameTaken):
            store.describe_model("openai/evil", b, name=name)
        with pytest.raises(NameTaken):
            store.create_run(meta("r3", "openai/evil"), TASKS, submitter=b, name=name)
    assert snapshot(store) == before
    assert comparable("GPT-4o") == comparable("gpt 4o") == "gpt4o"
    store.describe_model("openai/evil", b, name="Mallory's model", meta={"hosted": True})
    model = store.find_model("openai/evil")
    assert model is not None and model.name == "Mallory's model" and model.meta == {"hosted": True}


def test_revoked_keys_models_stay_frozen_until_handed_over(db_url: str) -> None:
    store = Store(db_url)
    old, _ = store.create_key("Acme", 100)
    new, _ = store.create_key("Acme (new key)", 100)
    store.create_run(meta("r1", "openai/m"), TASKS, submitter=Submitter.of_key(old))
    store.revoke_key(old)
    with pytest.raises(NotOwner, match="revoked: the operator can transfer"):
        store.create_run(meta("r2", "openai/m"), TASKS, submitter=Submitter.of_key(new))
    with pytest.raises(StoreError, match="no key"):
        store.transfer_model("openai/m", Submitter.of_key(999))
    store.transfer_model("openai/m", Submitter.of_key(new))
    store.create_run(meta("r3", "openai/m"), TASKS, submitter=Submitter.of_key(new))
    store.create_run(meta("r4", "local/x"), TASKS)
    with pytest.raises(StoreError, match="bundled"):
        store.transfer_model("local/x", Submitter.of_key(new))


def test_verification_is_per_run_and_changes_the_fingerprint(db_url: str) -> None:
    store = Store(db_url)
    store.create_run(meta("r1", "openai/m"), TASKS)
    with pytest.raises(StoreError, match="only a finished run"):
        store.verify_run("r1")
    store.record("r1", replace(episode_result("alpha", 50.0), category="git"))
    store.finish_run("r1")
    before = store.runs_fingerprint()
    store.verify_run("r1")
    assert store.run("r1").verified is not None and store.runs_fingerprint() != before
    store.create_run(meta("r2", "openai/m"), TASKS)
    assert store.run("r2").verified is None  # a new run is not vouched for
    before = store.runs_fingerprint()
    store.describe_model("openai/m", OPERATOR, name="M")
    assert store.runs_fingerprint() != before  # a rename shows at once on cached boards
    assert store.unverify_model("openai/m") == 1 and store.run("r1").verified is None


def test_anonymous_runs_wait_behind_keyed_ones_and_are_counted_apart(db_url: str) -> None:
    store = Store(db_url)
    a = store.create_key("Acme", 100)[0]
    store.create_run(meta("anon", "openai/anon"), TASKS, queued=True, submitter=ANON_A)
    store.create_run(
        meta("keyed", "openai/keyed"), TASKS, queued=True, submitter=Submitter.of_key(a)
    )
    lease = store.lease("w", 60)
    assert lease is not None and lease.run_id == "keyed"  # made later, but keyed
    lease = store.lease("w", 60)
    assert lease is not None and lease.run_id == "anon"
    assert store.anonymous_episodes(ANON_A.address) == 1 and store.anonymous_episodes() == 1
    assert store.anonymous_episodes(ANON_B.address) == 0 and store.queued_episodes(a) == 1
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    assert len(store.anonymous_runs_since(str(ANON_A.address), since)) == 1
    assert store.anonymous_runs_since(str(ANON_A.address), since + dt.timedelta(hours=1)) == []


def test_an_operator_repeat_keeps_the_submitter_and_skips_the_owner_check(results_db: str) -> None:
    """`requeue` repeats a run whose model has since changed hands: the repeat is the
    operator's decision, and an anonymous run stays anonymous (so no grant pays for it)."""
    store = Store(results_db)
    a = store.create_key("Acme", 100)[0]
    tasks = load_suite(SUITE)
    first = lifecycle.create(
        store, model="openai/m", params={}, tasks=tasks, seeds=[0], sandbox="bwrap",
        queued=True, submitter=ANON_A,
    )  # fmt: skip
    store.create_run(meta("claim", "openai/m"), TASKS, submitter=Submitter.of_key(a))
    again = lifecycle.repeat(store, store.run(first.id), tasks, "bwrap", queued=True)
    run = store.run(again.id)
    assert run.submitter == ANON_A and run.verified is None


def test_a_store_from_before_ownership_gets_its_owners(db_url: str) -> None:
    """Revision 0003's models belong, after the upgrade, to the key of their first run, or
    to the operator (also every bundled model); the database keeps every row."""
    engine = create_engine(db_url)
    migrate(engine, "0003")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, max_queued, created) VALUES "
                "(1, 'Acme', 'h1', 10, :now), (2, 'Mallory', 'h2', 10, :now)"
            ),
            {"now": now},
        )
        for i, spec in enumerate(("openai/acme", "openai/cli", "local/qwen2.5-coder-0.5b"), 1):
            conn.execute(
                text(
                    "INSERT INTO models (id, spec, name, meta, created)"
                    " VALUES (:i, :s, :s, '{}', :now)"
                ),
                {"i": i, "s": spec, "now": now},
            )
        runs = [  # (id, model, submitter, minutes later): Mallory took over openai/acme's row
            ("a1", 1, 1, 0), ("a2", 1, 2, 5), ("c1", 2, None, 0), ("q1", 3, 2, 0),
        ]  # fmt: skip
        for run_id, model_id, key, later in runs:
            conn.execute(
                text(
                    "INSERT INTO runs (id, model_id, suite_version, harness_version, params,"
                    " seeds, tasks, sandbox, host, status, created, seconds, submitted_by,"
                    " queued) VALUES (:id, :m, 'v', '0', '{}', '[0]', '[]', 'bwrap', '{}',"
                    " 'done', :t, 1, :k, false)"
                ),
                {"id": run_id, "m": model_id, "k": key, "t": now + dt.timedelta(minutes=later)},
            )
    engine.dispose()
    store = Store(db_url)
    owners = {m.spec: (m.owner.kind, m.owner.key_id, m.revision) for m in store.models()}
    assert owners == {
        "openai/acme": ("key", 1, 0),
        "openai/cli": ("operator", None, 0),
        "local/qwen2.5-coder-0.5b": ("operator", None, 0),
    }
    assert {r.id for r in store.runs()} == {"a1", "a2", "c1", "q1"}
    assert all(r.submitter.address is None and r.verified is None for r in store.runs())
    with store.session() as s:
        assert s.get(RunRow, "a2") is not None
