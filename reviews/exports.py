"""The preference export (ops): every approved judgment of a project as JSON Lines, ready for
preference training. Streamed from a database cursor, so memory stays flat. Reversed approvals
are rejected tasks, so they are left out; so are gold tasks (they test contributors, they are not
data to train on). Canonical order (the import's A and B), with the order the judgment's
contributor was shown (``presented_swapped``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch

from reviews.models import ReviewAssignment
from tasks.domain.review_round import AssignmentStatus
from tasks.domain.task import TaskStatus
from tasks.models import Task


def preference_lines(project_id: UUID) -> Iterator[str]:
    decided = (
        ReviewAssignment.objects.using(settings.MARLIN_REPORTS_DATABASE)
        .filter(status=AssignmentStatus.DECIDED)
        .order_by("decided_at")
    )
    tasks = (
        Task.objects.using(settings.MARLIN_REPORTS_DATABASE)
        .filter(
            project_id=project_id, status=TaskStatus.APPROVED, gold__isnull=True
        )  # gold is no training data
        .select_related("current_submission")
        .prefetch_related(Prefetch("assignments", queryset=decided, to_attr="review_chain"))
        .order_by("finished_at", "id")
    )
    for task in tasks.iterator(chunk_size=200):
        yield json.dumps(_line(task), cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"


def _line(task: Task) -> dict[str, Any]:
    submission = task.current_submission
    chosen, rejected = _chosen_and_rejected(task, submission.preference if submission else None)
    chain = task.review_chain  # type: ignore[attr-defined]
    return {
        "task_id": task.id,
        "external_id": task.external_id,
        "prompt": task.prompt,
        "context": task.context,
        "chosen": chosen,
        "rejected": rejected,
        "preference": submission.preference if submission else None,
        "strength": submission.strength if submission else None,
        "scores": submission.scores if submission else None,
        "rationale": submission.rationale if submission else None,
        "model_a": task.model_a,
        "model_b": task.model_b,
        "submission_version": submission.version if submission else None,
        "presented_swapped": submission.presented_swapped if submission else None,
        "approved_at": task.finished_at,
        "review_chain": [
            {
                "layer": review.layer,
                "reviewer": review.reviewer_id,
                "submission_version": review.submission_version,
                "decision": review.decision,
                "feedback": review.feedback,
                "reasons": review.reasons,
                "decided_at": review.decided_at,
            }
            for review in chain
        ],
    }


def _chosen_and_rejected(task: Task, preference: str | None) -> tuple[str | None, str | None]:
    """For a tie there is no chosen answer: both are null and ``preference`` says ``tie``."""
    if preference == "A":
        return task.response_a, task.response_b
    if preference == "B":
        return task.response_b, task.response_a
    return None, None
