"""The quality reports as answers: JSON, or CSV streamed from the same rows.

CSV columns are SPEC's field names in SPEC's order; ``flags`` are joined by ``;``; an empty cell
is a figure that is null (no data, or a feature not built yet). Every cell goes through
``marlin.kernel.safe_csv``, so a name can never start a spreadsheet formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

from marlin.kernel.safe_csv import Cell, csv_lines
from quality import leaderboard, selectors
from quality.domain import RATE_PLACES

CONTRIBUTOR_COLUMNS = (
    "contributor",
    "name",
    "submitted",
    "approved",
    "rejected",
    "first_pass_approval_rate",
    "mean_revisions",
    "mean_time_spent_minutes",
    "gold_answers",
    "gold_accuracy",
    "first_position_rate",
    "position_bias_p",
    "agreement_rate",
    "appeals_filed",
    "appeals_won",
    "suspended",
    "flags",
)
REVIEWER_COLUMNS = (
    "reviewer",
    "name",
    "decisions",
    "approve_rate",
    "request_changes_rate",
    "reject_rate",
    "median_decision_minutes",
    "overturned_by_later_layer",
    "appeals_overturned",
    "expired",
    "calibration_seen",
    "calibration_catch_rate",
    "flags",
)

Rows = Callable[[UUID], list[dict[str, Any]]]
REPORTS: dict[str, tuple[Rows, tuple[str, ...]]] = {
    "contributors": (selectors.contributor_rows, CONTRIBUTOR_COLUMNS),
    "reviewers": (selectors.reviewer_rows, REVIEWER_COLUMNS),
}


def agreement(project_id: UUID) -> dict[str, Any]:
    """Agreement between contributors on the project's items (project ``overlap``): ``items``
    with two or more approved judgments, and over them percent agreement and Krippendorff's alpha,
    null without such items (alpha also when every judgment is the same)."""
    found = selectors.project_agreement(project_id)
    return {
        "items": found.items,
        "percent": _rounded(found.percent),
        "alpha": _rounded(found.alpha),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_PLACES)


def report_json(kind: str, project_id: UUID) -> dict[str, Any]:
    rows, columns = REPORTS[kind]
    return {
        "project": str(project_id),
        "agreement": agreement(project_id),
        "rows": [{column: row[column] for column in columns} for row in rows(project_id)],
    }


def report_csv(kind: str, project_id: UUID) -> Iterator[str]:
    rows, columns = REPORTS[kind]
    yield from csv_lines([columns])
    yield from csv_lines([_cell(row[column]) for column in columns] for row in rows(project_id))


def _cell(value: Any) -> Cell:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return value


def leaderboard_json(project_id: UUID) -> dict[str, Any]:
    """The model leaderboard (README "Model leaderboard"): every model, best first."""
    criteria = selectors.project_criteria(project_id)
    judgments, models = leaderboard.standings_of(selectors.leaderboard_groups(project_id, criteria), criteria)
    return {"project": str(project_id), "judgments": judgments, "models": models}


LEADERBOARD_COLUMNS = (
    "model",
    "rating",
    "ci_low",
    "ci_high",
    "comparisons",
    "wins",
    "losses",
    "ties",
    "win_rate",
)


def leaderboard_csv(project_id: UUID) -> Iterator[str]:
    """One row per model, best first; ``mean_scores`` as one ``mean_<criterion>`` column each."""
    criteria = selectors.project_criteria(project_id)
    models = leaderboard_json(project_id)["models"]
    yield from csv_lines([[*LEADERBOARD_COLUMNS, *(f"mean_{criterion}" for criterion in criteria)]])
    yield from csv_lines(
        [
            *(_cell(row[column]) for column in LEADERBOARD_COLUMNS),
            *(row["mean_scores"][criterion] for criterion in criteria),
        ]
        for row in models
    )
