"""Item statistics: how hard each round is, and how well it tells models apart.

Computed over the board (each model's latest finished run), leaving out the built-in
reference agents (oracle, null, their degraded forms, scripted replays), which are not
models. Per round and model: the solve rate (episodes with every check passed) and the
mean score. Per round, over models:

- difficulty = 1 - the mean solve rate (classical test theory's item p-value, turned
  around so that higher is harder);
- discrimination = the corrected item-total correlation: across models, Pearson's r
  between a model's mean score on this round and its mean score on the other rounds. A
  round that strong models solve and weak ones fail has r near 1; near 0 or below, the
  round ranks models by something other than what the rest of the suite measures.

A two-parameter item response model would estimate the same two quantities on a
logistic scale, but it needs many more models than a board holds to be identified
(two parameters per round plus one ability per model, from a handful of models); these
estimators are exact with any number of models and need no fitting. Rounds that no
model solves and rounds that every model solves are flagged: neither tells models apart,
and the pool can be tuned with them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import fmean

from wwabench.models.builtin import is_builtin
from wwabench.results.summary import Summary

NOBODY = "no model solves it"
EVERYONE = "every model solves it"


@dataclass(frozen=True)
class ModelOnItem:
    solve_rate: float
    score: float


@dataclass(frozen=True)
class ItemStat:
    task: str
    category: str
    by_model: dict[str, ModelOnItem] = field(default_factory=dict)
    difficulty: float = math.nan
    discrimination: float | None = None
    flag: str = ""

    @property
    def solve_rate(self) -> float:
        return fmean(m.solve_rate for m in self.by_model.values())

    @property
    def score(self) -> float:
        return fmean(m.score for m in self.by_model.values())


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = fmean(xs), fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None  # no spread on one side: the correlation is undefined
    return sxy / math.sqrt(sxx * syy)


def item_stats(rows: Sequence[Summary]) -> list[ItemStat]:
    """One entry per round that the models on the board ran, in round order."""
    models = [s for s in rows if not is_builtin(s.model)]
    cells: dict[str, dict[str, ModelOnItem]] = {}
    categories: dict[str, str] = {}
    for s in models:
        for line in s.tasks:
            if line.episodes == 0:
                continue  # only errors: nothing to say about the model on this round
            categories[line.task] = line.category
            cells.setdefault(line.task, {})[s.model] = ModelOnItem(
                line.solved / line.episodes, line.score
            )
    stats = []
    for task in sorted(cells):
        by_model = cells[task]
        item = [by_model[m].score for m in by_model]
        rest = [_rest_mean(task, m, cells) for m in by_model]
        pairs = [(x, y) for x, y in zip(item, rest, strict=True) if y is not None]
        rates = [m.solve_rate for m in by_model.values()]
        flag = NOBODY if max(rates) == 0 else EVERYONE if min(rates) == 1 else ""
        stats.append(
            ItemStat(
                task=task,
                category=categories[task],
                by_model=by_model,
                difficulty=1 - fmean(rates),
                discrimination=_pearson([p[0] for p in pairs], [p[1] for p in pairs]),
                flag=flag,
            )
        )
    return stats


def _rest_mean(task: str, model: str, cells: dict[str, dict[str, ModelOnItem]]) -> float | None:
    others = [c[model].score for t, c in cells.items() if t != task and model in c]
    return fmean(others) if others else None
