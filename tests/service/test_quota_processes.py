"""Submissions through several server processes at once: `wwabench serve --workers N`
runs N apps over one database, so what one process's lock used to keep in order must
hold in the database. A key's quota is counted in the transaction that makes the run,
a model that two processes make at once is made once, and a spec that several accounts
claim at once gets one owner, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from wwabench.service.anonymous import AnonymousTier
from wwabench.service.app import create_app
from wwabench.store import Store
from wwabench.tasks import load_suite

from ..support.runs import SECRET

ROUNDS = len(load_suite())  # a submission runs the packaged suite, one trial by default
PER_APP = 4


@pytest.fixture
def stores(db_url: str) -> Iterator[list[Store]]:
    """Two stores on one database, as two server processes have: two engines."""
    pair = [Store(db_url), Store(db_url)]
    yield pair
    for s in pair:
        s.close()


def at_once(
    stores: list[Store], body: Callable[[int], dict[str, object]], keys: list[str]
) -> list[int]:
    """PER_APP submissions through each of two apps, started together; their statuses.
    Submission i sends body(i) with key keys[i % len(keys)]."""
    clients = [TestClient(create_app(s, secret=SECRET)) for s in stores]
    start = threading.Barrier(len(clients) * PER_APP)
    codes: list[int] = []

    def submit(client: TestClient, i: int) -> None:
        start.wait()
        headers = {"X-API-Key": keys[i % len(keys)]}
        codes.append(client.post("/api/submissions", json=body(i), headers=headers).status_code)

    threads = [
        threading.Thread(target=submit, args=(client, n * PER_APP + k))
        for n, client in enumerate(clients)
        for k in range(PER_APP)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return codes


@pytest.mark.parametrize("attempt", range(2))  # a race: more than one chance to show
def test_one_key_through_two_apps_gets_its_quota_and_no_more(
    stores: list[Store], attempt: int
) -> None:
    _, key = stores[0].create_key("shared", max_queued=3 * ROUNDS)
    codes = at_once(stores, lambda _: {"model": "openai/x"}, [key])
    assert Counter(codes) == {201: 3, 429: 2 * PER_APP - 3}
    assert len(stores[1].runs()) == 3


def test_a_new_model_submitted_through_two_apps_at_once_is_made_once(
    stores: list[Store],
) -> None:
    # Submission i sends model i % 2 with key i % 2: each model has one submitter.
    keys = [stores[0].create_key(f"k{i}", max_queued=10 * ROUNDS)[1] for i in range(2)]
    codes = at_once(stores, lambda i: {"model": f"openai/new-{i % 2}"}, keys)
    assert codes == [201] * 2 * PER_APP
    runs = stores[1].runs()
    assert Counter(r.model.spec for r in runs) == {"openai/new-0": PER_APP, "openai/new-1": PER_APP}
    with stores[1].engine.connect() as db:
        made = db.execute(text("SELECT spec FROM models WHERE spec LIKE 'openai/new-%'"))
        assert sorted(row[0] for row in made) == ["openai/new-0", "openai/new-1"]


def test_keys_racing_for_a_new_model_leave_it_one_owner(stores: list[Store]) -> None:
    """Eight accounts submit one new spec at the same instant through two apps: one wins
    it, and the seven others are refused (403) and leave nothing behind (issue 19)."""
    made = [stores[0].create_key(f"k{i}", max_queued=10 * ROUNDS) for i in range(2 * PER_APP)]
    codes = at_once(stores, lambda _: {"model": "openai/contested"}, [k for _, k in made])
    assert Counter(codes) == {201: 1, 403: 2 * PER_APP - 1}
    (run,) = stores[1].runs()
    model = stores[1].find_model("openai/contested")
    assert model is not None and model.owner == run.submitter
    assert run.submitter.key_id in {key_id for key_id, _ in made}


@pytest.mark.parametrize("attempt", range(2))  # a race: more than one chance to show
def test_one_address_through_two_apps_gets_the_anonymous_rate_and_no_more(
    stores: list[Store], attempt: int
) -> None:
    """The published client, sending no key, at the same instant through both apps: the
    anonymous tier's limit of waiting episodes per address (two runs of the suite) holds
    across processes (issue 19)."""
    clients = [TestClient(create_app(s, secret=SECRET)) for s in stores]
    start = threading.Barrier(len(clients) * PER_APP)
    codes: list[int] = []

    def submit(client: TestClient) -> None:
        start.wait()
        codes.append(client.post("/v1/benchmark/run-benchmark", json={}).status_code)

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients for _ in range(PER_APP)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    allowed = AnonymousTier().max_queued // ROUNDS
    assert Counter(codes) == {201: allowed, 429: 2 * PER_APP - allowed}
    assert len(stores[1].runs()) == allowed
