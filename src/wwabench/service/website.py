"""The website: the leaderboard, each model, run and transcript, and the methodology, as HTML.

The pages are the static report's (`pages`), rendered per request from the store, so the
site and the report show the same numbers in the same words. Filtering and sorting happen
on the server from the query string; the filter form and the column headings are plain GET
links. So the leaderboard is right with JavaScript off, and any view of it is a URL that can
be shared. The pages carry no script, and the Content-Security-Policy forbids script, so even
a templating mistake could not make a model's output run in a reader's browser.

Query string of `/` (every parameter optional; an unknown value falls back to the default):

- `hosted`: `all`, `hosted` or `local` (the model's `hosted` metadata; unrecorded is neither)
- `open=1`: only models whose metadata says they have open weights
- `q`: text the model's name or spec must contain (case-insensitive)
- `suite_version`: only runs on this suite version
- `sort`: a column key (`rank`, `name`, `score`, `correctness`, `efficiency`, `protocol`,
  `tokens`, `hosting`, `size`, `open`, `episodes`) or `category:NAME`; `category=NAME` is
  short for `sort=category:NAME`
- `dir`: `asc` or `desc` (default: the column's natural order, best first for numbers)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from wwabench.config import RunStatus
from wwabench.episode.transcript import parse_transcript
from wwabench.present import html as pages
from wwabench.present.html import BoardControls, Header, ModelFacts, RankedModel
from wwabench.redaction import redact
from wwabench.results.summary import BoardCache, Summary, summarize
from wwabench.store import Store, StoreError

# The repository's copy; an installed package has none, so `mount_web` takes another path.
DEFAULT_METHODOLOGY = Path(__file__).resolve().parents[3] / "docs" / "methodology.md"
SECURITY_HEADERS = {
    # No script anywhere; inline styles are the templates' own (the heat-map colours).
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
HOSTING = ("all", "hosted", "local")
DIRECTIONS = ("asc", "desc")
MAX_QUERY = 200  # characters of the name search; longer text cannot name a model anyway
# Raw HTML in the Markdown is shown as text, never passed through (`"html": False`).
MARKDOWN = MarkdownIt("commonmark", {"html": False})


class WebLinks:
    """The site's routes, as `pages.SiteLinks`.

    Each id is one percent-encoded path segment. A model spec may hold `/` (a file path):
    encoded as `%2F` it cannot form a `..` segment that a browser would resolve away, and
    the server decodes it back for the `{spec:path}` route.
    """

    def index(self) -> str:
        return "/"

    def run(self, run_id: str) -> str:
        return f"/runs/{quote(run_id, safe='')}"

    def transcript(self, run_id: str, task: str, seed: int) -> str:
        return f"/runs/{quote(run_id, safe='')}/{quote(task, safe='')}/{seed}"

    def model(self, spec: str) -> str:
        return f"/models/{quote(spec, safe=':@')}"

    def methodology(self) -> str:
        return "/methodology"


LINKS = WebLinks()


# --- the leaderboard's filters and sorting -------------------------------------------------

Value = float | str | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable[[RankedModel], Value] | None  # None: not sortable
    first: str = "desc"  # the order a first click sorts in: best first for numbers
    title: str = ""
    text: bool = False
    category: str = ""


def _category(name: str) -> Callable[[RankedModel], Value]:
    return lambda r: r.s.categories.get(name)


def _open(r: RankedModel) -> Value:
    return None if r.facts.open_weights is None else float(r.facts.open_weights)


def columns(categories: Sequence[str]) -> list[Column]:
    """The table's columns, in order; the template draws a cell for each key."""
    return [
        Column("rank", "Rank", lambda r: r.rank, first="asc"),
        Column("name", "Model", lambda r: r.s.name.casefold(), first="asc", text=True),
        Column("score", "Score", lambda r: r.s.score.mean),
        Column("ci", "95% CI", None, title="t interval over rounds; n/a with one round"),
        # The counts stand beside the score: they say what the interval rests on.
        Column("episodes", "Rounds x trials = episodes", lambda r: float(r.s.episodes)),
        Column("correctness", "Correctness", lambda r: r.s.correctness.mean),
        Column(
            "efficiency",
            "Efficiency",
            lambda r: r.s.efficiency.mean,
            title="Earned efficiency: correctness x efficiency",
        ),
        *(
            Column(f"category:{c}", c, _category(c), title=f"Mean round score in {c}", category=c)
            for c in categories
        ),
        Column(
            "protocol",
            "Protocol",
            lambda r: r.s.protocol.clean_episodes,
            title="Share of episodes without a failed turn (malformed, invalid, no call, "
            "truncated)",
        ),
        Column(
            "tokens",
            "Tokens",
            lambda r: float(r.s.input_tokens + r.s.output_tokens),
            title="Input + output tokens over the scored episodes",
        ),
        Column("hosting", "Where", lambda r: r.facts.hosting, first="asc", text=True),
        Column("size", "Size", lambda r: r.facts.params_billion, title="Parameters"),
        Column("open", "Open weights", _open, text=True),
    ]


@dataclass(frozen=True)
class BoardQuery:
    """The leaderboard's query string, validated: what a URL asks for, with defaults."""

    hosted: str = "all"
    open_weights: bool = False
    q: str = ""
    suite_version: str = ""
    sort: str = "score"
    dir: str = ""  # "": the sorted column's natural order

    @classmethod
    def parse(
        cls,
        hosted: str = "",
        open_weights: str = "",
        q: str = "",
        suite_version: str = "",
        sort: str = "",
        dir: str = "",
        category: str = "",
    ) -> BoardQuery:
        return cls(
            hosted=hosted if hosted in HOSTING else "all",
            open_weights=open_weights.strip().lower() in ("1", "on", "true", "yes"),
            q=q.strip()[:MAX_QUERY],
            suite_version=suite_version.strip(),
            sort=sort or (f"category:{category}" if category else "score"),
            dir=dir if dir in DIRECTIONS else "",
        )

    def url(self, link: WebLinks, sort: str, dir: str) -> str:
        """This view's URL sorted another way; defaults are left out."""
        view = replace(self, sort=sort, dir=dir)
        params = {
            "hosted": "" if view.hosted == "all" else view.hosted,
            "open": "1" if view.open_weights else "",
            "q": view.q,
            "suite_version": view.suite_version,
            "sort": "" if view.sort == "score" and view.dir == "desc" else view.sort,
            "dir": "" if view.sort == "score" and view.dir == "desc" else view.dir,
        }
        query = urlencode({k: v for k, v in params.items() if v})
        return link.index() + (f"?{query}" if query else "")


def keep(facts: ModelFacts, s: Summary, query: BoardQuery) -> bool:
    """Whether a model passes the filters; a filter on a fact the metadata lacks drops it."""
    if query.hosted != "all" and facts.hosting != query.hosted:
        return False
    if query.open_weights and facts.open_weights is not True:
        return False
    needle = query.q.casefold()
    return not needle or needle in s.name.casefold() or needle in s.model.casefold()


def sort_rows(rows: Sequence[RankedModel], column: Column, direction: str) -> list[RankedModel]:
    """Rows by the column; missing values last either way, ties in rank order."""
    if column.value is None:
        return list(rows)
    value = column.value

    def missing(v: Value) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    present = [r for r in rows if not missing(value(r))]
    absent = [r for r in rows if missing(value(r))]
    # Python's sort is stable also when reversed, so equal values stay in rank order.
    present.sort(key=value, reverse=direction == "desc")  # type: ignore[arg-type]
    return present + absent


@dataclass(frozen=True)
class BoardView:
    rows: list[Summary]  # shown, in rank order (the charts)
    table: list[RankedModel]  # shown, in the order asked for
    controls: BoardControls


def board_view(
    all_rows: Sequence[Summary], query: BoardQuery, suite_versions: list[str], link: WebLinks
) -> BoardView:
    categories = sorted({c for s in all_rows for c in s.categories})
    cols = columns(categories)
    by_key = {c.key: c for c in cols if c.value is not None}
    if query.sort not in by_key:
        query = replace(query, sort="score")
    column = by_key[query.sort]
    query = replace(query, dir=query.dir or column.first)
    shown = [s for s in all_rows if keep(ModelFacts.of(s.meta), s, query)]
    # Ranks are among the models shown, so the charts (drawn in rank order) agree with them.
    ranked = [RankedModel(rank, s, ModelFacts.of(s.meta)) for rank, s in enumerate(shown, 1)]
    headers = [_header(c, query, link) for c in cols]
    controls = BoardControls(
        action=link.index(),
        hosted=query.hosted,
        open_weights=query.open_weights,
        q=query.q,
        suite_version=query.suite_version,
        suite_versions=suite_versions,
        sort=query.sort,
        dir=query.dir,
        sort_options=[(c.key, _option(c)) for c in cols if c.value is not None],
        headers=headers,
        shown=len(shown),
        total=len(all_rows),
    )
    return BoardView(shown, sort_rows(ranked, column, query.dir), controls)


def _option(c: Column) -> str:
    return f"category: {c.category}" if c.category else c.label


def _header(c: Column, query: BoardQuery, link: WebLinks) -> Header:
    current = c.key == query.sort
    href = ""
    if c.value is not None:
        flip = "asc" if query.dir == "desc" else "desc"
        href = query.url(link, sort=c.key, dir=flip if current else c.first)
    return Header(
        key=c.key,
        label=c.label,
        href=href,
        sorted=query.dir if current else "",
        title=c.title,
        text=c.text,
        category=c.category,
    )


# --- routes ----------------------------------------------------------------------------------


def _html(content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status, headers=SECURITY_HEADERS)


def _not_found(title: str, message: str) -> HTMLResponse:
    return _html(pages.error_page(title, message, LINKS), 404)


def _heading(markdown: str, default: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip() or default
    return default


def mount_web(
    app: FastAPI,
    store: Store,
    *,
    methodology: Path | None = None,
    boards: BoardCache | None = None,
    secrets: Sequence[str] = (),
) -> None:
    """Add the site's HTML routes to `app`; `methodology` is the Markdown shown at
    /methodology (default: the repository's docs/methodology.md). Pages are served with
    `secrets` (those this process holds) redacted: workers never store them, and this
    makes sure.

    The routes stay out of the OpenAPI schema: they are pages, not the API.
    """
    doc = methodology or DEFAULT_METHODOLOGY
    boards = boards or BoardCache(store)

    def html(content: str) -> HTMLResponse:
        return _html(redact(content, secrets) if secrets else content)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def leaderboard(
        hosted: str = "",
        open_weights: Annotated[str, Query(alias="open")] = "",
        q: str = "",
        suite_version: str = "",
        sort: str = "",
        direction: Annotated[str, Query(alias="dir")] = "",
        category: str = "",
    ) -> HTMLResponse:
        query = BoardQuery.parse(hosted, open_weights, q, suite_version, sort, direction, category)
        rows = boards.board(query.suite_version or None)
        view = board_view(rows, query, store.suite_versions(status=RunStatus.DONE), LINKS)
        return html(pages.web_leaderboard(view.rows, view.table, view.controls, LINKS))

    @app.get("/models/{spec:path}", response_class=HTMLResponse, include_in_schema=False)
    def model(spec: str) -> HTMLResponse:
        row = store.find_model(spec)
        if row is None:
            return _not_found("Model not found", f"There is no model {spec!r} in the results.")
        summaries = [summarize(r) for r in store.runs(model=spec)]
        return html(pages.model_page(row.spec, row.name, row.meta, summaries, LINKS))

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run(run_id: str) -> HTMLResponse:
        try:
            found = store.run(run_id)
        except StoreError:
            return _not_found("Run not found", f"There is no run {run_id!r} in the results.")
        return html(pages.run_page(summarize(found), pages.RunInfo.of(found), LINKS))

    @app.get("/runs/{run_id}/{task}/{seed}", response_class=HTMLResponse, include_in_schema=False)
    def transcript(run_id: str, task: str, seed: str) -> HTMLResponse:
        try:
            found = store.run(run_id)
        except StoreError:
            return _not_found("Run not found", f"There is no run {run_id!r} in the results.")
        number = int(seed) if re.fullmatch(r"-?[0-9]{1,18}", seed) else None
        if number is None or not any(e.task == task and e.seed == number for e in found.records):
            return _not_found(
                "Episode not found", f"Run {run_id!r} has no round {task!r} with seed {seed!r}."
            )
        try:
            events = parse_transcript(store.transcript(run_id, task, number))
        except StoreError:
            events = []  # not run yet, or lost: the page says no transcript was stored
        page = pages.transcript_page(events, LINKS, run_id, task, number, model=found.model.spec)
        return html(page)

    @app.get("/methodology", response_class=HTMLResponse, include_in_schema=False)
    def methodology_page() -> HTMLResponse:
        # Read per request: an edited document shows without a restart.
        try:
            text = doc.read_text(encoding="utf-8")
        except OSError:
            return _not_found(
                "Methodology not available",
                "The methodology document (docs/methodology.md) is not installed on this server.",
            )
        body = Markup(MARKDOWN.render(text))  # safe: raw HTML in the source is escaped
        return html(pages.document_page(_heading(text, "Methodology"), body, LINKS))
