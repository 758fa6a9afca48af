"""Approved judgments one task at a time, for the leaderboard's tests."""

from __future__ import annotations

from typing import Any

from reviews.commands import review_decide
from tasks.commands import task_claim, task_submit
from tasks.domain.project import DEFAULT_CRITERIA
from tasks.importing import task_import
from tests.factories import judgment, make_project, make_user, pending_review, task_row
from tests.support.settle import settle

WHY = "B checks the empty input; A indexes the first element without checking it."


def scores(a: int, b: int) -> dict[str, dict[str, int]]:
    return {name: {"a": a, "b": b} for name in DEFAULT_CRITERIA}


class Board:
    """A one-layer project whose tasks are imported one at a time, so each claim takes the task
    just imported."""

    def __init__(self) -> None:
        self.project = make_project(review_layers=1)
        self.reviewer = make_user("reviewer")
        self.rows = 0

    def judged(self, preference: str, *, approve: bool = True, a: int = 4, b: int = 2, **row: Any) -> Any:
        self.rows += 1
        task_import(actor_id=None, project_id=self.project.id, rows=[(1, task_row(f"r{self.rows}", **row))])
        contributor = make_user("contributor")
        task = task_claim(contributor_id=contributor.pk, project_id=self.project.id)
        task_submit(
            contributor_id=contributor.pk,
            task_id=task.id,
            judgment=judgment(
                preference=preference, scores=scores(a, b), strength=... if preference == "tie" else 2
            ),
        )
        settle()
        if approve and (assignment := pending_review(task.id)) is not None:
            review_decide(reviewer_id=assignment.reviewer_id, assignment_id=assignment.id, decision="approve")
            settle()
        return task.id
