"""The model leaderboard from a project's judgments: pure, no database (the counts come from
``quality.selectors.leaderboard_groups``, the ratings from ``quality.bradley_terry``).

Judgments arrive grouped: one ``Group`` per (model A, model B, preference) with how many
judgments it holds and, per criterion, the sum and number of the scores given to A and to B. A
group of one is a single judgment (``grouped`` makes groups from single judgments).

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

Scores = Mapping[str, Mapping[str, int]] | None
Judgment = tuple[str, str, str, Scores]  # model_a, model_b, preference, scores (canonical)
# Per criterion: (sum of A's scores, how many, sum of B's scores, how many).
ScoreSums = Mapping[str, tuple[float, int, float, int]]
Group = tuple[str, str, str, int, ScoreSums]  # model_a, model_b, preference, judgments, sums


def grouped(judgments: Iterable[Judgment], criteria: Sequence[str]) -> list[Group]:
    """Single judgments as groups, as the database's GROUP BY makes them."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for model_a, model_b, preference, scores in judgments:
        group = groups.setdefault(
            (model_a, model_b, preference), [0, {c: [0.0, 0, 0.0, 0] for c in criteria}]
        )
        group[0] += 1
        for criterion in criteria:
            given = (scores or {}).get(criterion) or {}
            sums = group[1][criterion]
            for offset, side in ((0, "a"), (2, "b")):
                if isinstance(given.get(side), int | float):
                    sums[offset] += given[side]
                    sums[offset + 1] += 1
    return [
        (a, b, p, count, {c: tuple(s) for c, s in sums.items()})
        for (a, b, p), (count, sums) in groups.items()
    ]


def standings(
    judgments: Iterable[Judgment],
    criteria: Sequence[str],
    *,
    samples: int = bradley_terry.SAMPLES,
    seed: int = bradley_terry.SEED,
) -> tuple[int, list[dict[str, Any]]]:
    """``standings_of`` single judgments."""
    return standings_of(grouped(judgments, criteria), criteria, samples=samples, seed=seed)


def standings_of(
    groups: Iterable[Group],
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
    for model_a, model_b, preference, count, score_sums in groups:
        if model_a == model_b or not count:
            continue  # nothing to compare
        counted += count
        tally.add(model_a, model_b, preference, count)
        for model, offset, won, lost in ((model_a, 0, "A", "B"), (model_b, 2, "B", "A")):
            record = records.setdefault(model, [0, 0, 0, 0])
            record[0] += count
            record[1 if preference == won else 2 if preference == lost else 3] += count
            per_criterion = sums.setdefault(model, {})
            for criterion in criteria:
                total, scored = (score_sums.get(criterion) or (0.0, 0, 0.0, 0))[offset : offset + 2]
                cell = per_criterion.setdefault(criterion, [0.0, 0])
                cell[0] += total or 0
                cell[1] += scored or 0
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
