"""Item statistics: per round, per model; difficulty, discrimination and flags."""

from __future__ import annotations

import math

import pytest

from wwabench.present import html as pages
from wwabench.results.items import EVERYONE, NOBODY, item_stats
from wwabench.results.summary import board
from wwabench.store import RunMeta, Store

from ..support.runs import episode_result

SCORES = {  # model -> round -> score (100 means solved)
    "model-a": {"r1": 100.0, "r2": 100.0, "r3": 100.0, "r4": 0.0},
    "model-b<script>": {"r1": 100.0, "r2": 50.0, "r3": 0.0, "r4": 0.0},
    "model-c": {"r1": 100.0, "r2": 0.0, "r3": 0.0, "r4": 0.0},
    "oracle": {"r1": 100.0, "r2": 100.0, "r3": 100.0, "r4": 100.0},
}


@pytest.fixture
def store(tmp_path: object) -> Store:
    s = Store(f"sqlite:///{tmp_path}/items.db")
    for i, (model, scores) in enumerate(SCORES.items()):
        run = f"run-{i}"
        meta = RunMeta(id=run, model=model, suite_version="v", harness_version="t",
                       params={}, seeds=[0], tasks=list(scores), sandbox="bwrap",
                       host={})  # fmt: skip
        s.create_run(meta, dict.fromkeys(scores, "shell"))
        for task, score in scores.items():
            assert s.record(run, episode_result(task, score))
        s.finish_run(run, 1.0)
    return s


def test_item_statistics_by_hand(store: Store) -> None:
    items = {i.task: i for i in item_stats(board(store))}
    assert set(items["r1"].by_model) == {"model-a", "model-b<script>", "model-c"}  # no oracle
    assert items["r1"].flag == EVERYONE and items["r1"].difficulty == 0.0
    assert items["r4"].flag == NOBODY and items["r4"].difficulty == 1.0
    assert items["r2"].flag == "" and items["r2"].difficulty == pytest.approx(2 / 3)
    assert items["r2"].score == pytest.approx(50.0)
    # r2's scores (100, 50, 0) against each model's mean on r1, r3, r4 (66.7, 33.3, 33.3)
    assert items["r2"].discrimination == pytest.approx(math.sqrt(3) / 2)
    # r1 has no spread: its correlation is undefined, not zero
    assert items["r1"].discrimination is None


def test_the_board_page_shows_the_rounds(store: Store) -> None:
    html = pages.leaderboard(board(store), pages.StaticLinks())
    assert 'id="items"' in html and NOBODY in html and EVERYONE in html
    assert "<script>" not in html.split('id="items"')[1].split("</table>")[0]


def test_items_command(store: Store, tmp_path: object) -> None:
    from typer.testing import CliRunner

    from wwabench.cli import app

    url = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["items", "--db", url])
    assert result.exit_code == 0, result.output
    assert "r4" in result.output and NOBODY in result.output and "0.87" in result.output
