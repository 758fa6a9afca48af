"""The model leaderboard from a project's judgments: pure, no database (the rows come from
``quality.selectors.leaderboard_judgments``, the ratings from ``quality.bradley_terry``).

Per model: ``comparisons`` (judgments it took part in), ``wins``, ``losses``, ``ties``,
``win_rate`` ((wins + ties / 2) / comparisons), the Bradley-Terry ``rating`` with its 95%
bootstrap interval (``ci_low``, ``ci_high``), and ``mean_scores``: per criterion of the project,
the mean of the scores its answer was given (``a`` when it was model A, ``b`` when B), ``None``
with no score to average.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quality import bradley_terry

Judgment = tuple[
    str, str, str, Mapping[str, Mapping[str, int]] | None
]  # model_a, model_b, preference, scores


def standings(
    judgments: Iterable[Judgment],
    criteria: Sequence[str],
    *,
    samples: int = bradley_terry.SAMPLES,
    seed: int = bradley_terry.SEED,
) -> tuple[int, list[dict[str, Any]]]:
    """The number of judgments counted and one row per model, best first."""
    tally = bradley_terry.Tally()
    records: dict[str, list[int]] = {}  # model -> [comparisons, wins, losses, ties]
    sums: dict[str, dict[str, list[float]]] = {}  # model -> criterion -> [total, count]
    counted = 0
    for model_a, model_b, preference, scores in judgments:
        if model_a == model_b:
            continue  # nothing to compare
        counted += 1
        tally.add(model_a, model_b, preference)
        for model, side, won, lost in ((model_a, "a", "A", "B"), (model_b, "b", "B", "A")):
            record = records.setdefault(model, [0, 0, 0, 0])
            record[0] += 1
            record[1 if preference == won else 2 if preference == lost else 3] += 1
            per_criterion = sums.setdefault(model, {})
            for criterion in criteria:
                score = ((scores or {}).get(criterion) or {}).get(side)
                if isinstance(score, int | float):
                    cell = per_criterion.setdefault(criterion, [0.0, 0])
                    cell[0] += score
                    cell[1] += 1
    rows = []
    for rated in bradley_terry.rate(tally, samples=samples, seed=seed):
        comparisons, wins, losses, ties = records[rated.model]
        rows.append(
            {
                "model": rated.model,
                "rating": round(rated.rating, 1),
                "ci_low": _round(rated.ci_low),
                "ci_high": _round(rated.ci_high),
                "comparisons": comparisons,
                "wins": wins,
                "losses": losses,
                "ties": ties,
                "win_rate": round((wins + ties / 2) / comparisons, 4),
                "mean_scores": {criterion: _mean(sums[rated.model].get(criterion)) for criterion in criteria},
            }
        )
    return counted, rows


def _mean(cell: list[float] | None) -> float | None:
    return round(cell[0] / cell[1], 3) if cell and cell[1] else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
