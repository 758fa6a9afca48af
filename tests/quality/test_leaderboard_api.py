"""``GET projects/{id}/leaderboard/``: the models ranked from approved, non-reversed, non-gold
judgments in canonical order, as JSON or a formula-safe CSV; for ops only."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from marlin.kernel import chance
from tasks.commands import task_reverse_approval
from tasks.domain.project import DEFAULT_CRITERIA
from tests.factories import client_for, make_project, make_user
from tests.quality.judged import WHY, Board
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


def leaderboard(ops, project, **params: str) -> Any:
    return ops.get(f"/api/v1/projects/{project.id}/leaderboard/", params)


def test_only_approved_non_reversed_non_gold_judgments_count(ops) -> None:
    board = Board()
    board.judged("A", a=5, b=1)
    board.judged("A", a=4, b=2)
    board.judged("tie", a=3, b=3)
    reversed_task = board.judged("B")
    task_reverse_approval(actor_id=None, task_id=reversed_task, reason="copied from a website")
    settle()
    board.judged("B", approve=False)  # still in review
    board.judged("B", gold={"preference": "B", "explanation": WHY})  # a matched gold: approved at once

    body = leaderboard(ops, board.project).json()

    assert body["project"] == str(board.project.id)
    assert body["judgments"] == 3
    atlas, corvid = body["models"]
    assert (atlas["model"], corvid["model"]) == ("atlas-70b", "corvid-xl")
    assert (atlas["wins"], atlas["losses"], atlas["ties"], atlas["comparisons"]) == (2, 0, 1, 3)
    assert (corvid["wins"], corvid["losses"], corvid["ties"]) == (0, 2, 1)
    assert atlas["win_rate"] == pytest.approx(2.5 / 3, abs=1e-4)
    assert atlas["mean_scores"] == {name: 4.0 for name in DEFAULT_CRITERIA}
    assert corvid["mean_scores"] == {name: 2.0 for name in DEFAULT_CRITERIA}
    assert atlas["rating"] > 1000 > corvid["rating"]
    assert atlas["rating"] + corvid["rating"] == pytest.approx(2000, abs=0.2)
    assert atlas["ci_low"] <= atlas["rating"] <= atlas["ci_high"]


def test_a_swapped_contributors_pick_counts_for_the_model_they_preferred(ops) -> None:
    board = Board()
    with chance.pinned_coin(True):  # shown corvid-xl as A: their "A" is stored canonical as "B"
        board.judged("A", a=5, b=1)

    (first, second) = leaderboard(ops, board.project).json()["models"]

    assert (first["model"], first["wins"]) == ("corvid-xl", 1)
    assert first["mean_scores"]["correctness"] == 5.0
    assert second["mean_scores"]["correctness"] == 1.0


def test_a_project_without_judgments_has_an_empty_leaderboard(ops) -> None:
    project = make_project()

    assert leaderboard(ops, project).json() == {"project": str(project.id), "judgments": 0, "models": []}


def test_the_csv_has_a_row_per_model_a_column_per_criterion_and_no_formulas(ops) -> None:
    board = Board()
    board.judged("B", model_a="=HYPERLINK(1)", model_b="plain")

    answer = leaderboard(ops, board.project, format="csv")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert rows[0][:9] == [
        *("model", "rating", "ci_low", "ci_high", "comparisons", "wins", "losses", "ties", "win_rate"),
    ]
    assert rows[0][9:] == [f"mean_{name}" for name in DEFAULT_CRITERIA]
    assert [row[0] for row in rows[1:]] == ["plain", "'=HYPERLINK(1)"]
    assert rows[1][5:9] == ["1", "0", "0", "1.0"]
    assert rows[1][9] == "2.0"


def test_an_unknown_project_is_404_and_others_than_ops_are_refused(ops) -> None:
    unknown = ops.get("/api/v1/projects/7d0f4c9e-51c1-4a8a-9d61-3f0a2b1c9e11/leaderboard/")
    reviewer = client_for(make_user("reviewer"))

    assert unknown.status_code == 404
    assert reviewer.get(f"/api/v1/projects/{make_project().id}/leaderboard/").status_code == 403
