"""The reviews projection: assignments, reason counts, reviewer load and the unassigned queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import F

from marlin import projections
from marlin.eventstore.store import RecordedEvent
from people.domain import PersonRegistered
from reviews.models import AwaitingReview, ReviewAssignment, ReviewerLoad, ReviewReason
from tasks.domain.events import JudgmentSubmitted, TaskCancelled
from tasks.domain.review_round import (
    AssignmentStatus,
    ReviewAssigned,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskEnteredLayer,
)

reviews_projector = projections.register(
    projections.Projector("reviews", tables=[ReviewerLoad, AwaitingReview, ReviewAssignment, ReviewReason])
)
on = reviews_projector.on


@reviews_projector.on_many(PersonRegistered)
def _people_registered(run: Sequence[tuple[PersonRegistered, RecordedEvent]]) -> None:
    # Users made outside Marlin and adopted later already have no row; every person gets one.
    ReviewerLoad.objects.bulk_create(
        [ReviewerLoad(reviewer_id=event.user_id) for event, _ in run], ignore_conflicts=True
    )


def _awaiting(task_id: Any, layer: int, recorded: RecordedEvent) -> None:
    AwaitingReview.objects.update_or_create(
        task_id=task_id, defaults={"layer": layer, "waiting_since": recorded.recorded_at}
    )


@on(JudgmentSubmitted)
def _submitted(event: JudgmentSubmitted, recorded: RecordedEvent) -> None:
    _awaiting(event.task_id, event.layer, recorded)


@on(TaskEnteredLayer)
def _entered_layer(event: TaskEnteredLayer, recorded: RecordedEvent) -> None:
    _awaiting(event.task_id, event.layer, recorded)


@on(ReviewAssigned)
def _assigned(event: ReviewAssigned, recorded: RecordedEvent) -> None:
    ReviewAssignment.objects.create(
        id=event.assignment_id,
        task_id=event.task_id,
        layer=event.layer,
        reviewer_id=event.reviewer_id,
        submission_version=event.submission_version,
        status=AssignmentStatus.PENDING,
        assigned_at=recorded.recorded_at,
        due_at=event.due_at,
    )
    ReviewerLoad.objects.filter(reviewer_id=event.reviewer_id).update(
        pending=F("pending") + 1, last_assigned_at=recorded.recorded_at
    )
    AwaitingReview.objects.filter(task_id=event.task_id).delete()


def _end(assignment_id: Any, reviewer_id: int, recorded: RecordedEvent, **fields: Any) -> None:
    ReviewAssignment.objects.filter(pk=assignment_id).update(ended_at=recorded.recorded_at, **fields)
    ReviewerLoad.objects.filter(reviewer_id=reviewer_id).update(pending=F("pending") - 1)


@on(ReviewExpired, ReviewReassigned)
def _taken_back(event: ReviewExpired | ReviewReassigned, recorded: RecordedEvent) -> None:
    status = AssignmentStatus.EXPIRED if isinstance(event, ReviewExpired) else AssignmentStatus.REASSIGNED
    _end(event.assignment_id, event.reviewer_id, recorded, status=status)
    layer = ReviewAssignment.objects.filter(pk=event.assignment_id).values_list("layer", flat=True).get()
    _awaiting(event.task_id, layer, recorded)


@on(ReviewDecided)
def _decided(event: ReviewDecided, recorded: RecordedEvent) -> None:
    _end(
        event.assignment_id,
        event.reviewer_id,
        recorded,
        status=AssignmentStatus.DECIDED,
        decision=event.decision,
        feedback=event.feedback,
        reasons=list(event.reasons),
        decided_at=recorded.recorded_at,
    )
    ReviewReason.objects.bulk_create(
        [ReviewReason(assignment_id=event.assignment_id, code=code) for code in event.reasons]
    )


@on(TaskCancelled)
def _cancelled(event: TaskCancelled, recorded: RecordedEvent) -> None:
    pending = ReviewAssignment.objects.filter(task_id=event.task_id, status=AssignmentStatus.PENDING)
    for assignment_id, reviewer_id in pending.values_list("pk", "reviewer_id"):
        _end(assignment_id, reviewer_id, recorded, status=AssignmentStatus.CANCELLED)
    AwaitingReview.objects.filter(task_id=event.task_id).delete()
