"""The static report: the leaderboard, each run and each transcript as plain HTML files.

It needs no server and no network (everything is inline), so it can be published as is or
attached to a CI run. `markdown_board` gives the leaderboard in the shape of the published
posts, with the interval and counts that have to stand beside a score.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from wwabench.config import FINISHED
from wwabench.episode.transcript import parse_transcript
from wwabench.present import html as pages
from wwabench.present import terminal as views
from wwabench.results.summary import Summary, board, board_note
from wwabench.store import Store, StoreError


def _write(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")


def write_report(store: Store, out_dir: Path, suite_version: str | None = None) -> Path:
    """Write index.html, runs/<run>.html and runs/<run>/<round>__seed<seed>.html; return index."""
    rows = board(store, suite_version)
    # The links from the top also name the files; run pages sit one directory down,
    # transcripts two, so their links climb back with "../".
    top, run_links, transcript_links = (pages.StaticLinks(r) for r in ("", "../", "../../"))
    index = out_dir / top.index()
    _write(index, pages.leaderboard(rows, top))
    for row in rows:
        run = store.run(row.run_id)
        info = pages.RunInfo.of(run)
        _write(out_dir / top.run(run.id), pages.run_page(row, info, run_links))
        for ep in info.episodes:
            if ep.status not in FINISHED:
                continue  # the run page links only finished episodes
            try:
                events = parse_transcript(store.transcript(run.id, ep.task, ep.seed))
            except StoreError:
                events = []  # the page says so, and the run page's link still lands somewhere
            page = pages.transcript_page(
                events, transcript_links, run.id, ep.task, ep.seed, model=run.model.spec
            )
            _write(out_dir / top.transcript(run.id, ep.task, ep.seed), page)
    return index


def _cell(text: str) -> str:
    """Markdown table cell: a model name must not split the row or become HTML in the post."""
    text = html.escape(text, quote=False).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split())


def _episodes(s: Summary) -> str:
    extra = [f"{s.errors} infra error{'s' if s.errors != 1 else ''} excluded"] if s.errors else []
    extra += [f"{s.pending} not run"] if s.pending else []
    return f"{s.episodes}" + (f" ({', '.join(extra)})" if extra else "")


MARKDOWN_HEADER = (
    "| Rank | Model | Score | 95% CI | Correctness | Efficiency | Rounds x trials | Episodes |"
)


def markdown_board(rows: Sequence[Summary]) -> str:
    """The leaderboard as a Markdown table, medals for the top three as in the published posts."""
    lines = [MARKDOWN_HEADER, "|---|---|---:|---|---:|---:|---|---:|"]
    for rank, s in enumerate(rows, 1):
        cells = [
            pages.MEDALS.get(rank, str(rank)),
            _cell(s.name),
            f"{s.score.mean:.1f}",
            views.interval(s.score) + ("†" if s.score.degenerate else ""),
            f"{s.correctness.mean:.1f}",
            f"{s.efficiency.mean:.1f}",
            f"{s.rounds} x {s.trials}",
            _episodes(s),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        board_note("`wwabench compare A B`"),
    ]
    if any(s.score.degenerate for s in rows):
        lines += [
            "",
            "† Every round scored the same, so the interval has zero width: it describes "
            "these rounds, not certainty.",
        ]
    return "\n".join(lines) + "\n"
