"""A small two-layer project whose decisions are made by whoever routing assigned, and noted: the
quality figures' tests know who did what without steering routing."""

from __future__ import annotations

from typing import Any

from reviews.commands import review_decide
from tasks.commands import task_claim, task_submit
from tests.factories import import_tasks, judgment, make_project, make_user, pending_review
from tests.support.settle import settle

FEEDBACK = "The scores contradict the rationale; say which input breaks B."


class Workday:
    """A two-layer project where each decision is made by whoever routing assigned, and noted."""

    def __init__(self, **project: Any) -> None:
        self.project = make_project(review_layers=2, **project)
        import_tasks(self.project, 6)
        self.reviewers = [make_user("reviewer", reviewer_level=2) for _ in range(3)]

    def submit(self, contributor: Any, *, minutes: int) -> Any:
        task = task_claim(contributor_id=contributor.pk, project_id=self.project.id)
        task_submit(
            contributor_id=contributor.pk, task_id=task.id, judgment=judgment(time_spent_minutes=minutes)
        )
        settle()
        return task.id

    def decide(self, task_id: Any, decision: str) -> int:
        return decide(task_id, decision)


def decide(task_id: Any, decision: str, *, reason: str = "inconsistent_scores") -> int:
    """Whoever routing assigned the task's pending review decides it; returns that reviewer."""
    assignment = pending_review(task_id)
    asked = decision != "approve"
    review_decide(
        reviewer_id=assignment.reviewer_id,
        assignment_id=assignment.id,
        decision=decision,
        feedback=FEEDBACK if asked else "",
        reasons=[reason] if asked else [],
    )
    settle()
    return assignment.reviewer_id


def overturned_reviewer(day: Workday) -> int:
    """Three tasks through both layers: the first one's layer-1 approval is sent back by layer 2,
    the others pass. Returns the reviewer whose approval was overturned (routing deals the three
    reviewers the first layer in turn, so the others' layer-1 approvals make the median)."""
    sent_back = day.submit(make_user("contributor"), minutes=30)
    overturned = day.decide(sent_back, "approve")
    day.decide(sent_back, "request_changes")
    for _ in range(2):
        fine = day.submit(make_user("contributor"), minutes=30)
        day.decide(fine, "approve")
        day.decide(fine, "approve")
    return overturned
