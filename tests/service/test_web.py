"""The website: every route over a real store, filters and sorting done by the server (so
right without JavaScript), escaping, 404 pages, the methodology page, the synthetic seeder,
and the site walked through in headless Chromium with JavaScript on and off."""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page
from typer.testing import CliRunner

from wwabench.cli import app as cli
from wwabench.config import EpisodeStatus
from wwabench.episode.record import AgentResult, CheckResult, Episode
from wwabench.results.summary import board
from wwabench.service.website import WebLinks, mount_web
from wwabench.store import RunMeta, Store
from wwabench.tasks import load_suite, suite_version

from ..support import FIXTURES
from ..support.browser import browsing

SEEDER = Path(__file__).parents[2] / "bench" / "seed_board.py"
HOSTED, LOCAL, EVIL = "api:big-hosted", "llama:models/small.gguf", "llama:evil"
EVIL_NAME = "evil <img src=x onerror=alert(1)>"
OUTPUT = "<script>alert(2)</script>"
CATEGORIES = {"alpha": "shell", "beta": "git", "gamma": "git"}
# Per round, one score per trial. Scores: hosted 70, local 58.3, evil 15; but in git the
# local model leads (85 against 65), so sorting by that category reorders the board.
SCORES = {
    HOSTED: {"alpha": [90.0, 80.0], "beta": [70.0, 60.0], "gamma": [50.0, 70.0]},
    LOCAL: {"alpha": [0.0, 10.0], "beta": [90.0, 90.0], "gamma": [80.0, 80.0]},
    EVIL: {"alpha": [20.0, 10.0], "beta": [0.0, 10.0], "gamma": [30.0, 20.0]},
}
NAMES = {HOSTED: "Big Hosted", LOCAL: "Small Local", EVIL: EVIL_NAME}
META: dict[str, dict[str, Any]] = {
    HOSTED: {"hosted": True, "open_weights": False},
    LOCAL: {"hosted": False, "open_weights": True, "params_billion": 1.5},
    EVIL: {"hosted": False, "open_weights": True, "params_billion": 7},
}
RANKED = ["oracle", HOSTED, LOCAL, EVIL, "null"]  # by score: 100, 70, 58.3, 15, 0


@dataclass(frozen=True)
class Site:
    store: Store
    url: str  # the real server, on 127.0.0.1
    client: TestClient


def _result(task: str, seed: int, score: float) -> Episode:
    return Episode(
        task=task, category="", seed=seed, status=EpisodeStatus.OK, error="", score=score,
        correctness=score / 100, efficiency=1.0, reference_steps=2, seconds=1.0,
        agent=AgentResult(stop="submitted", turns=2, steps=2, tool_calls=2, failed_calls=0,
                          wrong_commands=0, input_tokens=100, output_tokens=20,
                          model_seconds=0.5, retry_seconds=0.0, tool_seconds=0.2,
                          turn_kinds={"native": 2}),
        checks=[CheckResult(name="the file is right", weight=1.0, passed=score >= 50,
                            exit_code=0 if score >= 50 else 1, output="", seconds=0.1)],
    )  # fmt: skip


def _transcript(model: str, task: str, seed: int, score: float) -> str:
    passed = score >= 50
    events: list[dict[str, Any]] = [
        {"t": 0, "event": "episode_start", "task": task, "seed": seed, "model": model},
        {"t": 0, "event": "instruction", "text": f"Do {task}.", "params": {}},
        {"t": 0.1, "event": "model_turn", "turn": 1, "latency": 0.1, "kind": "native",
         "finish": "tool_calls", "text": "Looking first.",
         "tool_calls": [{"id": "c1", "name": "bash", "arguments": {"command": "cat notes.txt"}}],
         "usage": {"input": 50, "output": 10}, "raw": None},
        {"t": 0.2, "event": "tool_result", "turn": 1, "call_id": "c1", "tool": "bash",
         "outcome": "ok", "exit_code": 0, "duration": 0.01, "output_bytes": 30,
         "output": f"exit code: 0\nstdout:\n{OUTPUT}\n"},
        {"t": 0.3, "event": "submit", "turn": 2, "call_id": "c2"},
        {"t": 0.4, "event": "check", "name": "the file is right", "weight": 1.0,
         "passed": passed, "exit_code": 0 if passed else 1, "output": "compared"},
        {"t": 0.5, "event": "episode_end", "status": "ok", "score": score,
         "correctness": score / 100, "efficiency": 1.0, "seconds": 1.0},
    ]  # fmt: skip
    return "".join(json.dumps(e) + "\n" for e in events)


def _add_run(store: Store, model: str, run_id: str, finish: bool = True) -> None:
    """A hand-made run over three rounds and two trials, so intervals exist."""
    scores = SCORES[model]
    meta = RunMeta(
        id=run_id, model=model, suite_version="hand-made", harness_version="0.0-test",
        params={"temperature": 0}, seeds=[0, 1], tasks=list(scores), sandbox="local",
        host={"platform": "test"},
    )  # fmt: skip
    store.create_run(meta, CATEGORIES, name=NAMES[model], model_meta=META[model])
    for task, values in scores.items():
        for seed, score in enumerate(values):
            if finish or seed == 0:  # an unfinished run has some episodes still pending
                store.record(
                    run_id,
                    replace(
                        _result(task, seed, score), transcript=_transcript(model, task, seed, score)
                    ),
                )
    if finish:
        store.finish_run(run_id, 1.0)


def run_id(model: str) -> str:
    return f"20990101-000000-{re.sub(r'[^a-z]', '', model)}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Oracle and null (real CLI runs on the fixture suite), three hand-made models and an
    unfinished second run of the hosted one, served by a real uvicorn on a free port."""
    root = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{root / 'results.db'}"
    for model in ("oracle", "null"):
        args = ["run", "--model", model, "--suite", str(FIXTURES / "suite"), "--trials", "2"]
        result = CliRunner().invoke(cli, [*args, "--out", str(root / "runs"), "--db", url])
        assert result.exit_code == 0, result.output
    store = Store(url)
    for model in SCORES:
        _add_run(store, model, run_id(model))
    _add_run(store, HOSTED, "20990101-000001-unfinished", finish=False)
    app = FastAPI()
    mount_web(app, store)
    with _Server(app) as base:
        yield Site(store, base, TestClient(app))
    store.close()


class _Server:
    def __init__(self, app: FastAPI) -> None:
        # Bound here and handed over, so no other process can take the port in between.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],), daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def models_on(html: str) -> list[str]:
    """The model specs of the leaderboard's rows, in the order the page shows them."""
    return [unescape(m) for m in re.findall(r'<tr class="model-row" data-model="([^"]*)"', html)]


def ranks_on(html: str) -> list[int]:
    return [int(r) for r in re.findall(r'<td class="rank" data-value="(\d+)"', html)]


def get(site: Site, path: str, status: int = 200) -> str:
    response = site.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# --- the leaderboard, server side ------------------------------------------------------------


@pytest.mark.sandbox
def test_leaderboard_ranks_models_with_intervals_and_facts(site: Site) -> None:
    response = site.client.get("/")
    assert response.status_code == 200
    assert "script-src" not in response.headers["content-security-policy"]  # so: none at all
    html = response.text
    assert models_on(html) == RANKED and ranks_on(html) == [1, 2, 3, 4, 5]
    headers = re.findall(r'<th[^>]*data-key="([^"]+)"', html)
    assert headers[:7] == ["rank", "name", "score", "ci", "episodes", "correctness", "efficiency"]
    assert {"category:git", "category:shell", "protocol", "tokens", "hosting", "size"} <= set(
        headers
    )
    rows = html.split('<tr class="model-row"')[1:]
    hosted = rows[1]
    assert '<td class="num ci"><span class="muted">[' in hosted  # three rounds: an interval
    assert '<td class="text hosting">hosted</td>' in hosted and "3 x 2 = 6" in hosted
    assert ">n/a<" in rows[0]  # oracle: one round, no interval
    assert '<td class="text hosting">local</td>' in rows[2] and ">1.5B<" in rows[2]
    assert ">7B<" in rows[3] and "\N{EN DASH}" in rows[0]  # unrecorded facts show a dash
    # Hostile names are text: the tag is escaped wherever the name appears.
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html
    assert 'href="/methodology"' in html and 'id="score-chart"' in html


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?hosted=local", [LOCAL, EVIL]),
        ("?hosted=hosted", [HOSTED]),
        ("?hosted=bogus", RANKED),  # an unknown value falls back to all
        ("?open=1", [LOCAL, EVIL]),
        ("?q=SMALL", [LOCAL]),
        ("?q=llama%3A", [LOCAL, EVIL]),  # the spec matches too
        ("?suite_version=hand-made", [HOSTED, LOCAL, EVIL]),
        ("?sort=score&dir=asc", RANKED[::-1]),
        ("?sort=score&dir=desc", RANKED),
        ("?sort=rank", RANKED),
        ("?sort=nonsense&dir=sideways", RANKED),
        ("?sort=size", [EVIL, LOCAL, "oracle", HOSTED, "null"]),  # no size: last, in rank order
        ("?sort=size&dir=asc", [LOCAL, EVIL, "oracle", HOSTED, "null"]),
        ("?category=git", [LOCAL, HOSTED, EVIL, "oracle", "null"]),
        ("?sort=category:git&dir=asc", [EVIL, HOSTED, LOCAL, "oracle", "null"]),
        ("?sort=name", [HOSTED, EVIL, "null", "oracle", LOCAL]),
        ("?hosted=local&open=1&sort=score&dir=asc", [EVIL, LOCAL]),
    ],
)
def test_filters_and_sorting_are_done_by_the_server(
    site: Site, query: str, expected: list[str]
) -> None:
    html = get(site, "/" + query)
    assert models_on(html) == expected
    # Ranks are by score among the models shown, whatever the order of the table.
    assert sorted(ranks_on(html)) == list(range(1, len(expected) + 1))


@pytest.mark.sandbox
def test_filtered_ranks_and_form_state(site: Site) -> None:
    html = get(site, "/?hosted=local&open=1&q=a&sort=size&dir=asc")
    assert ranks_on(html) == [1, 2] and "Showing 2 of 5 models" in html
    assert '<option value="local" selected>' in html
    assert 'name="open" value="1" checked' in html and 'name="q" value="a"' in html
    assert '<option value="size" selected>' in html and '<option value="asc" selected>' in html
    # The sorted column's heading flips the order and keeps the filters; others start at
    # their natural order.
    size = re.search(
        r'data-key="size" aria-sort="ascending"[^>]*><a class="sort-link" href="([^"]+)"', html
    )
    assert size is not None
    assert unescape(size.group(1)) == "/?hosted=local&open=1&q=a&sort=size&dir=desc"
    name = re.search(r'data-key="name"[^>]*><a class="sort-link" href="([^"]+)"', html)
    assert name is not None and unescape(name.group(1)).endswith("sort=name&dir=asc")
    # What the reader typed comes back escaped, in the form and in the sort links.
    typed = get(site, "/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&suite_version=%22%3E%3Cb%3E")
    assert "<script" not in typed and "<b>" not in typed
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in typed
    empty = get(site, "/?q=no-such-model")
    assert 'id="empty"' in empty and "No model matches" in empty and models_on(empty) == []


@pytest.mark.sandbox
def test_suite_versions_are_offered(site: Site) -> None:
    html = get(site, "/")
    options = re.findall(r'<select name="suite_version">(.*?)</select>', html, re.S)[0]
    assert '<option value="hand-made">' in options
    assert "Runs on different suite versions are not comparable" in html
    only = get(site, "/?suite_version=hand-made")
    assert '<option value="hand-made" selected>' in only
    assert "not comparable" not in only


# --- models, runs, transcripts ---------------------------------------------------------------


@pytest.mark.sandbox
def test_model_page_lists_runs_and_latest_summary(site: Site) -> None:
    html = get(site, WebLinks().model(HOSTED))
    assert "<h1>Big Hosted</h1>" in html
    runs = re.findall(r'<tr class="run">.*?href="/runs/([^"]+)"', html, re.S)
    assert runs == ["20990101-000001-unfinished", run_id(HOSTED)]  # newest first
    latest = re.search(r'<p id="latest">.*?</p>', html, re.S)
    assert latest is not None and run_id(HOSTED) in latest.group(0)
    assert "score 70.0" in latest.group(0) and "3 rounds x 2 trials = 6 episodes" in html
    assert 'class="hosting">hosted<' in html
    # A spec with a slash: the link encodes it, the route decodes it.
    link = WebLinks().model(LOCAL)
    assert link == "/models/llama:models%2Fsmall.gguf"
    assert "1.5B parameters" in get(site, link)
    evil = get(site, WebLinks().model(EVIL))
    assert "&lt;img src=x" in evil and "<img src=x" not in evil


@pytest.mark.sandbox
def test_run_page_links_every_transcript(site: Site) -> None:
    html = get(site, WebLinks().run(run_id(LOCAL)))
    assert 'id="headline"' in html and "3 rounds x 2 trials = 6 episodes" in html
    assert f'href="{WebLinks().model(LOCAL)}"' in html  # the run page links its model
    links = [unescape(h) for h in re.findall(r'class="transcript-link" href="([^"]+)"', html)]
    assert len(links) == 6
    for link in links:
        assert "Episode end" in get(site, link)


@pytest.mark.sandbox
def test_transcript_shows_calls_outputs_and_checks(site: Site) -> None:
    html = get(site, WebLinks().transcript(run_id(HOSTED), "beta", 1))
    assert '<pre class="command">cat notes.txt</pre>' in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html and "<script" not in html
    assert 'class="badge check-result good">pass<' in html and "the file is right" in html
    assert '<strong class="final-score">60.0</strong>' in html
    # A pending episode of an unfinished run exists but has no transcript yet.
    pending = get(site, WebLinks().transcript("20990101-000001-unfinished", "beta", 1))
    assert 'id="no-events"' in pending


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/runs/no-such-run", "There is no run &#39;no-such-run&#39;"),
        ("/runs/no-such-run/beta/0", "There is no run"),
        (f"/runs/{run_id(HOSTED)}/no-such-round/0", "has no round &#39;no-such-round&#39;"),
        (f"/runs/{run_id(HOSTED)}/beta/7", "with seed &#39;7&#39;"),
        (f"/runs/{run_id(HOSTED)}/beta/x", "with seed &#39;x&#39;"),
        (f"/runs/{run_id(HOSTED)}/beta/--1", "with seed &#39;--1&#39;"),
        (f"/runs/{run_id(HOSTED)}/beta/{10**30}", "with seed"),
        ("/models/no:such/model", "There is no model &#39;no:such/model&#39;"),
        ("/models/" + quote("<b>x</b>", safe=""), "&#39;&lt;b&gt;x&lt;/b&gt;&#39;"),
    ],
)
def test_unknown_pages_are_404_html(site: Site, path: str, message: str) -> None:
    html = get(site, path, status=404)
    assert message in html and 'id="error"' in html and "<b>x" not in html


# --- methodology -----------------------------------------------------------------------------


@pytest.mark.sandbox
def test_methodology_renders_the_doc(site: Site) -> None:
    html = get(site, "/methodology")
    assert "<title>Methodology</title>" in html
    for heading in ("<h1>Methodology</h1>", "<h2>What a round is</h2>", "<h2>The score</h2>"):
        assert heading in html
    assert "<code>" in html and "<strong>Correctness</strong>" in html


def test_methodology_escapes_html_and_is_404_when_missing(tmp_path: Path) -> None:
    doc = tmp_path / "methodology.md"
    doc.write_text(
        "# Method <i>x</i>\n\n<script>alert(1)</script>\n\nText <b>bold</b> and "
        "[link](javascript:alert(2)).\n"
    )
    app = FastAPI()
    mount_web(app, Store(), methodology=doc)
    client = TestClient(app)
    html = client.get("/methodology").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html
    assert 'href="javascript:' not in html  # markdown-it refuses the link; its text stays
    assert "<title>Method &lt;i&gt;x&lt;/i&gt;</title>" in html
    doc.unlink()
    missing = client.get("/methodology")
    assert missing.status_code == 404 and "Methodology not available" in missing.text


# --- the synthetic seeder --------------------------------------------------------------------


def _seeder() -> Callable[..., None]:
    """bench/ is scripts, not a package: load the seeder from its file."""
    spec = importlib.util.spec_from_file_location("seed_board", SEEDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    seed: Callable[..., None] = module.seed
    return seed


def test_seed_board_fills_a_valid_board(results_db: str) -> None:
    store = Store(results_db)
    _seeder()(store, models=2, episodes=50)
    rows = board(store)
    assert len(rows) == 2
    tasks = load_suite()
    for s in rows:
        assert s.model.startswith("synthetic:") and s.meta["synthetic"] is True
        assert s.suite_version == suite_version(tasks) and s.trials == 2  # 50 / 24 rounds
        assert {t.task for t in s.tasks} == {t.id for t in tasks}
        assert s.episodes + s.errors == 24 and 0 <= s.score.mean <= 100
    app = FastAPI()
    mount_web(app, store)
    client = TestClient(app)
    html = client.get("/").text
    assert len(models_on(html)) == 2
    first = rows[0]
    transcript = client.get(WebLinks().transcript(first.run_id, first.tasks[0].task, 0))
    assert transcript.status_code == 200 and "Episode start" in transcript.text


# --- in a real browser -----------------------------------------------------------------------


def _rows(page: Page) -> list[str]:
    models: list[str] = page.locator("#leaderboard tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.model)"
    )
    return models


@pytest.mark.browser
@pytest.mark.sandbox
def test_website_in_chromium(site: Site, tmp_path: Path) -> None:
    with browsing(tmp_path, "the website", prefix="web-") as b:
        page = b.page(viewport={"width": 1400, "height": 900})
        page.goto(site.url + "/")
        assert _rows(page) == RANKED
        ranks = page.locator("#leaderboard td.rank").all_inner_texts()
        assert [r.split()[-1] for r in ranks] == ["1", "2", "3", "4", "5"]
        names = page.locator("#leaderboard td.model a.model-link").all_inner_texts()
        assert EVIL_NAME in names  # shown as text, not as markup
        assert page.locator("#score-chart .errorbar").count() == 3
        b.shot(page, "leaderboard")

        # Sorting by a heading (JavaScript on): the link reloads the page, sorted.
        page.locator("#leaderboard th[data-key='score'] a").click()
        page.wait_for_url("**dir=asc**")
        assert _rows(page) == RANKED[::-1]
        page.locator("#leaderboard th[data-key='category:git'] a").click()
        page.wait_for_url("**sort=category*git**")
        assert _rows(page) == [LOCAL, HOSTED, EVIL, "oracle", "null"]
        assert page.locator("th[aria-sort='descending']").inner_text().startswith("git")

        # The filter form.
        page.goto(site.url + "/")
        page.select_option("select[name=hosted]", "local")
        page.check("input[name=open]")
        page.click("#apply")
        page.wait_for_url("**hosted=local**")
        assert _rows(page) == [LOCAL, EVIL]
        assert page.locator("#shown").inner_text().startswith("Showing 2 of 5 models")
        page.fill("input[name=q]", "small")
        page.click("#apply")
        page.wait_for_url("**q=small**")
        assert _rows(page) == [LOCAL]
        b.shot(page, "filtered")

        # Model page, run page, transcript.
        page.locator("a.model-link", has_text="Small Local").click()
        page.wait_for_url("**/models/**")
        assert page.locator("h1").inner_text() == "Small Local"
        assert "1.5B parameters" in page.locator("#model-meta").inner_text()
        b.shot(page, "model")
        page.locator("#latest a.run-link").click()
        page.wait_for_url(f"**/runs/{run_id(LOCAL)}")
        assert "3 rounds x 2 trials = 6 episodes" in page.locator("#headline").inner_text()
        b.shot(page, "run")
        page.locator("a.transcript-link").first.click()
        page.wait_for_url(f"**/runs/{run_id(LOCAL)}/*/*")
        assert page.locator(".event.model-turn").first.is_visible()
        assert OUTPUT in page.locator(".event.tool-result pre").first.inner_text()
        assert page.locator(".event.check .check-result").first.inner_text() in ("pass", "fail")
        b.shot(page, "transcript")

        page.goto(site.url + "/methodology")
        assert page.locator("h2", has_text="The score").is_visible()
        page.goto(site.url + "/runs/nope")
        assert "There is no run 'nope'" in page.locator("#error").inner_text()
        page.wait_for_timeout(200)  # give any injected handler (onerror) time to fire

        # JavaScript off: the same table, and sorting and filtering still work.
        context = b.browser.new_context(java_script_enabled=False)
        plain = context.new_page()
        plain.set_default_timeout(20_000)
        plain.goto(site.url + "/")
        assert _plain_rows(plain) == RANKED
        assert plain.locator("#leaderboard td.rank").count() == len(RANKED)
        plain.locator("#leaderboard th[data-key='score'] a").click()
        plain.wait_for_url("**dir=asc**")
        assert _plain_rows(plain) == RANKED[::-1]
        plain.select_option("select[name=hosted]", "hosted")
        plain.click("#apply")
        plain.wait_for_url("**hosted=hosted**")
        assert _plain_rows(plain) == [HOSTED]
        b.shot(plain, "no-javascript")
        context.close()


def _plain_rows(page: Page) -> list[str]:
    """Row models read from the page's HTML: with JavaScript off, `evaluate` cannot run."""
    return models_on(page.content())
