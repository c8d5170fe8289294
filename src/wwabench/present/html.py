"""HTML pages of results: the leaderboard, a run, an episode's transcript.

Shared by the static report (`report`) and the website, so both show the same numbers with
the same wording as the terminal views. Functions take plain data and return HTML; where a
page links elsewhere it asks a `Links` object, so the static report can use relative file
names and the website its routes. Everything a model wrote is hostile: the templates are
autoescaped and nothing is marked safe, so text can never become markup.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from wwabench import __version__
from wwabench.config import FINISHED, RunStatus
from wwabench.episode.loop import FAILED_TURNS
from wwabench.models.builtin import is_builtin
from wwabench.present import terminal as views
from wwabench.results.items import item_stats
from wwabench.results.stats import Estimate
from wwabench.results.summary import Summary, board_note
from wwabench.store import StoredRun

CI_NOTE = board_note("wwabench compare A B")
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


class Links(Protocol):
    """Where the pages live; the static report and the website each supply their own."""

    def index(self) -> str: ...

    def run(self, run_id: str) -> str: ...

    def transcript(self, run_id: str, task: str, seed: int) -> str: ...


class SiteLinks(Links, Protocol):
    """The website's links: it also has a page per model and the methodology."""

    def model(self, spec: str) -> str: ...

    def methodology(self) -> str: ...


def safe_name(name: str) -> str:
    """A file name for an id: ids come from the store, which need not be ours to trust.

    A name that had to change gets a hash suffix so two unsafe ids never share a file.
    """
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    if clean == name and not name.startswith("."):
        return name
    return f"{clean.lstrip('.')[:80]}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class StaticLinks:
    """Relative links between the files of the static report; `root` leads back to its top."""

    root: str = ""

    def index(self) -> str:
        return f"{self.root}index.html"

    def run(self, run_id: str) -> str:
        return f"{self.root}runs/{safe_name(run_id)}.html"

    def transcript(self, run_id: str, task: str, seed: int) -> str:
        return f"{self.root}runs/{safe_name(run_id)}/{safe_name(task)}__seed{seed}.html"


# --- data the pages take ------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeRef:
    """One episode of a run, enough to list and link it."""

    task: str
    seed: int
    trial: int
    status: str
    score: float
    error: str = ""


@dataclass(frozen=True)
class RunInfo:
    """What identifies a run beyond its Summary: how it was run and where."""

    harness_version: str
    params: dict[str, Any]
    seeds: list[int]
    sandbox: str
    host: dict[str, Any]
    finished: str | None
    episodes: list[EpisodeRef] = field(default_factory=list)

    @classmethod
    def of(cls, run: StoredRun) -> RunInfo:
        return cls(
            harness_version=run.harness_version,
            params=dict(run.params),
            seeds=[int(s) for s in run.seeds],
            sandbox=run.sandbox,
            host=dict(run.host),
            finished=run.finished.isoformat(timespec="seconds") if run.finished else None,
            episodes=[
                EpisodeRef(r.task, r.seed, e.trial, r.status, r.score, r.error)
                for e in run.episodes
                for r in [e.record]
            ],
        )


# --- charts: geometry in Python, markup in the templates (so it is escaped there) ----------


@dataclass(frozen=True)
class Span:
    """An error bar from `low` to `high` at `at` (pixels); absent when there is no interval."""

    low: float
    high: float
    at: float


@dataclass(frozen=True)
class ScoreBar:
    rank: int
    label: str
    y: float
    width: float
    value: str
    errorbar: Span | None
    tip: str


@dataclass(frozen=True)
class ScorePoint:
    rank: int
    x: float
    y: float
    xbar: Span | None
    ybar: Span | None
    tip: str


@dataclass(frozen=True)
class HeatCell:
    text: str
    colour: str
    tip: str


BAR_LEFT, BAR_WIDTH, BAR_ROW = 230.0, 460.0, 30.0
SCATTER_LEFT, SCATTER_TOP, SCATTER_SIZE = 50.0, 20.0, 300.0


def _span(e: Estimate, scale: float, offset: float, at: float, flip: bool = False) -> Span | None:
    if math.isnan(e.se):
        return None
    low, high = e.clip()
    if flip:  # SVG y grows downwards
        return Span(offset + (100 - high) * scale, offset + (100 - low) * scale, at)
    return Span(offset + low * scale, offset + high * scale, at)


def _tip(s: Summary) -> str:
    return f"{s.name}: {views.headline(s)}"


def score_bars(rows: Sequence[Summary]) -> list[ScoreBar]:
    scale = BAR_WIDTH / 100
    bars = []
    for rank, s in enumerate(rows, 1):
        y = 10 + (rank - 1) * BAR_ROW
        mean = max(0.0, min(100.0, s.score.mean))
        bars.append(
            ScoreBar(
                rank=rank,
                label=s.name if len(s.name) <= 30 else s.name[:29] + "…",
                y=y,
                width=mean * scale,
                value=f"{s.score.mean:.1f}",
                errorbar=_span(s.score, scale, BAR_LEFT, y + BAR_ROW / 2),
                tip=_tip(s),
            )
        )
    return bars


def scatter_points(rows: Sequence[Summary]) -> list[ScorePoint]:
    scale = SCATTER_SIZE / 100
    points = []
    for rank, s in enumerate(rows, 1):
        x = SCATTER_LEFT + max(0.0, min(100.0, s.correctness.mean)) * scale
        y = SCATTER_TOP + (100 - max(0.0, min(100.0, s.efficiency.mean))) * scale
        points.append(
            ScorePoint(
                rank=rank,
                x=x,
                y=y,
                xbar=_span(s.correctness, scale, SCATTER_LEFT, y),
                ybar=_span(s.efficiency, scale, SCATTER_TOP, x, flip=True),
                tip=f"#{rank} {s.name}: correctness {s.correctness.mean:.1f} "
                f"{views.interval(s.correctness)}, efficiency {s.efficiency.mean:.1f} "
                f"{views.interval(s.efficiency)} over {views.counts(s)}",
            )
        )
    return points


def heat_colour(value: float) -> str:
    """Red (0) through yellow to green (100); the number is printed in the cell as well."""
    hue = 1.2 * max(0.0, min(100.0, value))
    return f"hsl({hue:.0f}, 70%, 80%)"


def heat_map(rows: Sequence[Summary]) -> tuple[list[str], list[list[HeatCell]]]:
    categories = sorted({c for s in rows for c in s.categories})
    grid = []
    for s in rows:
        cells = []
        for c in categories:
            rounds = sum(1 for t in s.tasks if t.category == c and t.episodes)
            if c not in s.categories:
                cells.append(HeatCell("-", "#eee", f"{s.name}: no scored round in {c}"))
                continue
            value = s.categories[c]
            tip = f"{s.name}, {c}: mean score {value:.1f} over {rounds} rounds (no interval)"
            cells.append(HeatCell(f"{value:.1f}", heat_colour(value), tip))
        grid.append(cells)
    return categories, grid


# --- rendering ------------------------------------------------------------------------------


def _num(value: Any, digits: int = 1) -> str:
    """A number to `digits` places; anything else (a hostile transcript) as its text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=True)


def _without(event: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in keys}


def rate_interval(e: Estimate) -> str:
    """A rate's interval (pass@1, pass^k) on 0-1, as `views.interval` does a score's on 0-100."""
    if math.isnan(e.se):
        return "n/a"
    low, high = e.clip(0.0, 1.0)
    return f"[{low:.2f}, {high:.2f}]"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("wwabench.present", "templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt field fails the tests instead of vanishing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pretty"] = _pretty
    env.filters["without"] = _without
    env.globals.update(
        interval=views.interval,
        counts=views.counts,
        headline=views.headline,
        rate_interval=rate_interval,
        heat_colour=heat_colour,
        medals=MEDALS,
        failed_kinds=sorted(FAILED_TURNS),
        harness_version=__version__,
        ci_note=CI_NOTE,
    )
    return env


_ENV = _environment()


def _board_context(rows: Sequence[Summary], link: Links, title: str) -> dict[str, Any]:
    categories, grid = heat_map(rows)
    return {
        "title": title,
        "rows": list(rows),
        "link": link,
        "bars": score_bars(rows),
        "points": scatter_points(rows),
        "categories": categories,
        "heat": grid,
        "chart": {"left": BAR_LEFT, "width": BAR_WIDTH, "row": BAR_ROW},
        "scatter": {"left": SCATTER_LEFT, "top": SCATTER_TOP, "size": SCATTER_SIZE},
        "suite_versions": sorted({s.suite_version for s in rows}),
        "items": item_stats(rows),
        "item_models": [
            ItemColumn(rank, s.model, s.name)
            for rank, s in enumerate(rows, 1)
            if not is_builtin(s.model)
        ],
    }


@dataclass(frozen=True)
class ItemColumn:
    rank: int
    model: str
    name: str


def leaderboard(rows: Sequence[Summary], link: Links, title: str = "wwabench leaderboard") -> str:
    return _ENV.get_template("leaderboard.html.j2").render(_board_context(rows, link, title))


def run_page(summary: Summary, info: RunInfo, link: Links) -> str:
    by_task: dict[str, list[EpisodeRef]] = {}
    for e in sorted(info.episodes, key=lambda e: e.trial):
        by_task.setdefault(e.task, []).append(e)
    return _ENV.get_template("run.html.j2").render(
        title=f"{summary.name} — run {summary.run_id}",
        s=summary,
        info=info,
        link=link,
        episodes=by_task,
        finished=FINISHED,
    )


def transcript_page(
    events: Sequence[dict[str, Any]],
    link: Links,
    run_id: str,
    task: str,
    seed: int,
    model: str = "",
) -> str:
    end = next((e for e in reversed(events) if e.get("event") == "episode_end"), None)
    return _ENV.get_template("transcript.html.j2").render(
        title=f"{task} seed {seed} — run {run_id}",
        events=list(events),
        end=end,
        link=link,
        run_id=run_id,
        task=task,
        seed=seed,
        model=model,
    )


# --- the website's pages (the static report has none of these) ----------------------------


@dataclass(frozen=True)
class ModelFacts:
    """What a model's metadata says about it; None where it says nothing (or nonsense)."""

    hosting: str | None  # "hosted" or "local"
    params_billion: float | None
    open_weights: bool | None

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> ModelFacts:
        hosted, size, open_ = (meta.get(k) for k in ("hosted", "params_billion", "open_weights"))
        hosting = None
        if isinstance(hosted, bool):
            hosting = "hosted" if hosted else "local"
        elif hosted in ("hosted", "local"):
            hosting = str(hosted)
        billion = None
        if isinstance(size, int | float) and not isinstance(size, bool):
            billion = float(size) if math.isfinite(size) and size > 0 else None
        return cls(
            hosting=hosting,
            params_billion=billion,
            open_weights=open_ if isinstance(open_, bool) else None,
        )

    @property
    def size(self) -> str:
        return "" if self.params_billion is None else f"{self.params_billion:g}B"


@dataclass(frozen=True)
class Header:
    """A column of the website's leaderboard; `href` re-sorts by it, `sorted` says if it does."""

    key: str
    label: str
    href: str = ""
    sorted: str = ""  # "asc" or "desc" when the table is sorted by this column
    title: str = ""
    text: bool = False  # left-aligned
    category: str = ""  # set on a per-category column


@dataclass(frozen=True)
class RankedModel:
    rank: int
    s: Summary
    facts: ModelFacts


@dataclass(frozen=True)
class BoardControls:
    """The filter form's state and the table's headers, all decided by the server."""

    action: str
    hosted: str
    open_weights: bool
    q: str
    suite_version: str
    suite_versions: list[str]
    sort: str
    dir: str
    sort_options: list[tuple[str, str]]  # (value, label)
    headers: list[Header]
    shown: int
    total: int


def web_leaderboard(
    rows: Sequence[Summary],
    table: Sequence[RankedModel],
    controls: BoardControls,
    link: SiteLinks,
    title: str = "wwabench leaderboard",
) -> str:
    """The leaderboard with a filter form and sort links: `rows` (rank order) draw the charts,
    `table` is the same models in the order the reader asked for."""
    context = _board_context(rows, link, title)
    return _ENV.get_template("web_board.html.j2").render(
        context, table=list(table), controls=controls
    )


def model_page(
    spec: str, name: str, meta: Mapping[str, Any], runs: Sequence[Summary], link: SiteLinks
) -> str:
    """A model's runs, newest first, and the summary of its latest finished run."""
    latest = next((s for s in reversed(runs) if s.status == RunStatus.DONE), None)
    return _ENV.get_template("model.html.j2").render(
        title=f"{name} — wwabench",
        spec=spec,
        name=name,
        facts=ModelFacts.of(meta),
        meta=dict(meta),
        runs=list(reversed(runs)),
        latest=latest,
        link=link,
    )


def document_page(title: str, body: Markup, link: Links) -> str:
    """A page of documentation. `body` is HTML the caller rendered from trusted Markdown with
    raw HTML disabled: the one place a page takes markup, and the type says so."""
    return _ENV.get_template("document.html.j2").render(title=title, body=body, link=link)


def error_page(title: str, message: str, link: Links) -> str:
    return _ENV.get_template("error.html.j2").render(title=title, message=message, link=link)
