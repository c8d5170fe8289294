"""The static report: pages for every run and transcript, the Markdown board, escaping of
hostile model output, and the report walked through in a real headless Chromium."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wwabench.cli import app
from wwabench.config import FINISHED
from wwabench.episode.transcript import parse_transcript
from wwabench.present import html as pages
from wwabench.present import terminal as views
from wwabench.present.report import MARKDOWN_HEADER, markdown_board, write_report
from wwabench.results.summary import Summary, board, summarize
from wwabench.store import RunMeta, Store

from ..support import FIXTURES
from ..support.browser import browsing
from ..support.runs import episode_result

# The hand-made run: a model name and outputs that would run script if they became markup.
HOSTILE_MODEL = "hostile|<img src=x onerror=alert(3)>"
HOSTILE_RUN = "20990101-000000-hostile"
SCRIPT = "<script>alert(1)</script>"
TURN_TEXT = "I will now break out: </pre><script>alert(2)</script>"
HOSTILE_SCORES = {"alpha": 80.0, "beta": 40.0, "gamma": 60.0}  # mean 60, a real interval


@dataclass(frozen=True)
class Site:
    store: Store
    index: Path
    rows: list[Summary]

    def summary(self, model: str) -> Summary:
        return next(s for s in self.rows if s.model == model)


def _jsonl(events: list[dict[str, Any]], torn: str = "") -> str:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events) + torn


def _hostile_transcript(task: str, score: float) -> str:
    events: list[dict[str, Any]] = [
        {"t": 0, "event": "episode_start", "task": task, "seed": 0, "model": HOSTILE_MODEL},
        {"t": 0, "event": "instruction", "text": "Print the <b>answer</b>.", "params": {}},
        {
            "t": 0.1,
            "event": "model_turn",
            "turn": 1,
            "latency": 0.1,
            "kind": "parsed",
            "finish": "",
            "text": TURN_TEXT,
            "tool_calls": [
                {"id": "c1", "name": "bash", "arguments": {"command": f"echo '{SCRIPT}'"}},
                {"id": "c2", "name": "write_file", "arguments": {"path": "<i>x</i>"}},
            ],
            "usage": {"input": 10, "output": 5},
            "raw": None,
        },
        {
            "t": 0.2,
            "event": "tool_result",
            "turn": 1,
            "call_id": "c1",
            "tool": "bash",
            "outcome": "ok",
            "exit_code": 0,
            "duration": 0.01,
            "output_bytes": 40,
            # U+2028 sits unescaped in the JSON line: the page must not split there.
            "output": f"exit code: 0\nstdout:\n{SCRIPT}\n\u2028<img src=x onerror=alert(4)>\n",
        },
        {"t": 0.3, "event": "submit", "turn": 1, "call_id": "c2"},
        {"t": 0.4, "event": "check", "name": "answer <u>right</u>", "weight": 1.0,
         "passed": False, "exit_code": 1, "output": "want 42"},
        {"t": 0.5, "event": "sandbox_note", "detail": "<script>alert(5)</script>"},
        {"t": 0.6, "event": "episode_end", "status": "ok", "score": score,
         "correctness": score / 100, "efficiency": 1.0, "seconds": 0.5},
    ]  # fmt: skip
    return _jsonl(events, torn='{"t": 0.7, "event": "model_tu')


def _add_hostile_run(store: Store) -> None:
    tasks = [*HOSTILE_SCORES, "delta"]
    meta = RunMeta(
        id=HOSTILE_RUN,
        model=HOSTILE_MODEL,
        suite_version="hand-made",
        harness_version="0.0-test",
        params={"note": "<script>alert(6)</script>"},
        seeds=[0],
        tasks=tasks,
        sandbox="local",
        host={"platform": "test"},
    )
    store.create_run(meta, {t: "shell" if t != "gamma" else "<b>odd</b>" for t in tasks})
    for task, score in HOSTILE_SCORES.items():
        assert store.record(
            HOSTILE_RUN,
            replace(episode_result(task, score), transcript=_hostile_transcript(task, score)),
        )
    error = _jsonl([{"t": 0, "event": "error", "error": "sandbox gone <script>x</script>"}])
    assert store.record(
        HOSTILE_RUN,
        replace(episode_result("delta", 0.0, "error", "sandbox gone"), transcript=error),
    )
    store.finish_run(HOSTILE_RUN, 1.0)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """One store with oracle, null (real CLI runs on the fixture suite) and the hostile run."""
    root = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{root / 'results.db'}"
    for model in ("oracle", "null"):
        args = ["run", "--model", model, "--suite", str(FIXTURES / "suite"), "--trials", "2"]
        result = CliRunner().invoke(app, [*args, "--out", str(root / "runs"), "--db", url])
        assert result.exit_code == 0, result.output
    store = Store(url)
    _add_hostile_run(store)
    index = write_report(store, root / "site")
    return Site(store, index, board(store))


@pytest.mark.sandbox
def test_report_writes_every_page(site: Site) -> None:
    assert site.index == site.index.parent / "index.html" and site.index.is_file()
    assert [s.model for s in site.rows] == ["oracle", HOSTILE_MODEL, "null"]
    for s in site.rows:
        run = site.store.run(s.run_id)
        assert (site.index.parent / pages.StaticLinks().run(run.id)).is_file()
        for e in run.records:
            assert e.status in FINISHED
            page = site.index.parent / pages.StaticLinks().transcript(run.id, e.task, e.seed)
            assert page.is_file(), page
    oracle = site.summary("oracle")
    assert oracle.rounds == 1 and oracle.trials == 2 and oracle.episodes == 2
    html = site.index.read_text()
    assert 'id="leaderboard"' in html and 'id="score-chart"' in html and 'id="heatmap"' in html
    assert "1 x 2 = 2" in html  # rounds x trials = episodes beside every score
    assert html.count('class="errorbar"') >= 1


@pytest.mark.sandbox
def test_markdown_board_has_medals_intervals_and_counts(site: Site) -> None:
    md = markdown_board(site.rows)
    lines = md.splitlines()
    assert lines[0] == MARKDOWN_HEADER
    assert lines[2] == "| 🥇 | oracle | 100.0 | n/a | 100.0 | 100.0 | 1 x 2 | 2 |"
    hostile = site.summary(HOSTILE_MODEL)
    ci = views.interval(hostile.score)
    assert ci.startswith("[") and ci != "n/a"
    # The pipe is escaped so the row keeps its columns; the tag cannot become HTML in a post.
    assert lines[3] == (
        f"| 🥈 | hostile\\|&lt;img src=x onerror=alert(3)&gt; | 60.0 | {ci} | 60.0 | 60.0 "
        "| 3 x 1 | 3 (1 infra error excluded) |"
    )
    assert lines[4].startswith("| 🥉 | null | 0.0 | n/a |")
    assert "t interval over rounds" in md and "n/a where a run has a single round" in md
    assert markdown_board([*site.rows, site.rows[-1]]).splitlines()[5].startswith("| 4 | null |")


def test_degenerate_interval_is_flagged_in_markdown() -> None:
    """Every round identical gives a zero-width interval, which is marked, not shown as certain."""
    from wwabench.results.stats import Estimate

    flat = Estimate(100.0, 0.0, 100.0, 100.0, 12, 1, 1, 12, 11)
    assert flat.degenerate
    md = markdown_board([_summary_like(flat)])
    assert "| [100.0, 100.0]† |" in md and "describes these rounds, not certainty" in md


def _summary_like(score: Any) -> Summary:
    from wwabench.results.summary import ProtocolAdherence

    return Summary(
        run_id="r", model="m", name="m", meta={}, status="done", suite_version="v",
        created="2025-01-01T00:00:00", rounds=12, trials=1, episodes=12, errors=0, pending=0,
        score=score, correctness=score, efficiency=score, pass1=score, pass_k=None,
        categories={}, protocol=ProtocolAdherence(12, {"native": 1.0}, 1.0), failed_calls=0,
        wrong_commands=0, input_tokens=0, output_tokens=0, seconds=0.0, model_seconds=0.0,
        cost=None,
    )  # fmt: skip


def _hostile_page(site: Site, task: str = "alpha") -> Path:
    return site.index.parent / pages.StaticLinks().transcript(HOSTILE_RUN, task, 0)


@pytest.mark.sandbox
def test_hostile_text_is_escaped_everywhere(site: Site) -> None:
    html = _hostile_page(site).read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;/pre&gt;&lt;script&gt;alert(2)" in html
    assert "&lt;script&gt;alert(5)" in html  # an unknown event is shown, escaped
    assert "<script" not in html  # the transcript page has no script at all
    for page in (site.index, site.index.parent / pages.StaticLinks().run(HOSTILE_RUN)):
        text = page.read_text()
        assert "<img src=x" not in text and "alert(6)</script>" not in text
        assert "&lt;img src=x onerror=alert(3)&gt;" in text
        assert text.count("<script") <= 1  # at most the table sorter


def test_transcript_parsing_matches_read_transcript() -> None:
    line = json.dumps({"event": "tool_result", "output": "a\u2028b"}, ensure_ascii=False)
    text = f'{line}\n[1, 2]\n{line}\n{{"event": "to'
    events = parse_transcript(text)
    assert [e["output"] for e in events] == ["a\u2028b", "a\u2028b"]
    assert parse_transcript("") == []


def test_safe_names_stay_inside_the_report() -> None:
    assert pages.safe_name("git-fix-history") == "git-fix-history"
    for bad in ("../../etc/passwd", ".hidden", "a/b", "x y"):
        name = pages.safe_name(bad)
        assert "/" not in name and not name.startswith(".") and name != bad
    assert pages.safe_name("a/b") != pages.safe_name("a_b")


@pytest.mark.sandbox
def test_single_round_interval_is_na_in_html(site: Site) -> None:
    oracle = site.summary("oracle")
    html = pages.leaderboard([oracle], pages.StaticLinks())
    assert "n/a" in html and 'class="errorbar"' not in html
    empty = pages.leaderboard([], pages.StaticLinks())
    assert 'id="empty"' in empty and 'id="leaderboard"' not in empty


@pytest.mark.browser
@pytest.mark.sandbox
def test_report_in_chromium(site: Site, tmp_path: Path) -> None:
    with browsing(tmp_path, "the report", prefix="") as b:
        page = b.page(viewport={"width": 1280, "height": 900})
        page.goto(site.index.as_uri())

        models = page.locator("#leaderboard tbody tr td.model").all_inner_texts()
        assert models == ["oracle", HOSTILE_MODEL, "null"]  # shown as text, not as markup
        chart = page.locator("#score-chart")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
        bars = chart.locator(".errorbar")
        assert bars.count() == 1  # only the hand-made run has more than one round
        bar_box = bars.first.bounding_box()
        assert bars.first.is_visible() and bar_box is not None and bar_box["width"] > 5
        tip = chart.locator("g.bar title").nth(1).text_content() or ""
        assert "3 rounds x 1 trials = 3 episodes" in tip and "95% CI [" in tip
        assert page.locator("#scatter circle").count() == 3
        assert page.locator("#heatmap td.heat").count() == 3 * 2  # models x categories
        b.shot(page, "leaderboard")

        page.locator("#leaderboard a.run-link", has_text="oracle").click()
        assert page.url.endswith(".html") and "/runs/" in page.url
        assert "oracle" in page.locator("#run-meta").inner_text()
        headline = page.locator("#headline").inner_text()
        assert "1 rounds x 2 trials = 2 episodes" in headline and "95% CI n/a" in headline
        b.shot(page, "run")

        page.locator("a.transcript-link").first.click()
        assert page.locator(".event.model-turn").first.is_visible()
        check = page.locator(".event.check").first
        assert check.is_visible() and "pass" in check.locator(".check-result").inner_text()
        assert page.locator(".final-score").inner_text() == "100.0"
        b.shot(page, "transcript")

        page.goto(_hostile_page(site).as_uri())
        output = page.locator(".event.tool-result pre").first.inner_text()
        assert SCRIPT in output and "<img src=x onerror=alert(4)>" in output
        assert TURN_TEXT in page.locator(".event.model-turn pre").first.inner_text()
        assert page.locator(".event.check .check-result").inner_text() == "fail"
        assert "sandbox_note" in page.locator(".event.other").inner_text()
        b.shot(page, "hostile-transcript")
        page.wait_for_timeout(200)  # give any injected handler (onerror) time to fire
    assert summarize(site.store.run(HOSTILE_RUN)).errors == 1
