"""The reviews projection: assignments, reason counts, reviewer load and the unassigned queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marlin import projections
from marlin.eventstore.store import RecordedEvent
from people.domain import PersonRegistered
from reviews.models import AwaitingReview, ReviewAssignment, ReviewerLoad, ReviewReason
from tasks.domain.events import AppealFiled, JudgmentSubmitted, TaskCancelled
from tasks.domain.review_round import (
    AssignmentStatus,
    ReviewAssigned,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskEnteredLayer,
)

reviews_projector = projections.register(
    projections.Projector(
        "reviews", tables=[ReviewerLoad, AwaitingReview, ReviewAssignment, ReviewReason], in_memory=True
    )
)
on = reviews_projector.on
rows = projections.rows


@reviews_projector.on_many(PersonRegistered)
def _people_registered(run: Sequence[tuple[PersonRegistered, RecordedEvent]]) -> None:
    # Users made outside Marlin and adopted later already have no row; every person gets one.
    rows(ReviewerLoad).insert_many(
        ({"reviewer_id": event.user_id} for event, _ in run), ignore_conflicts=True
    )


def _awaiting(task_id: Any, layer: int, recorded: RecordedEvent) -> None:
    rows(AwaitingReview).upsert(task_id=task_id, layer=layer, waiting_since=recorded.recorded_at)


@on(JudgmentSubmitted)
def _submitted(event: JudgmentSubmitted, recorded: RecordedEvent) -> None:
    if not event.gold:  # a gold submission is scored, never queued for a reviewer
        _awaiting(event.task_id, event.layer, recorded)


@on(TaskEnteredLayer, AppealFiled)
def _entered_layer(event: TaskEnteredLayer | AppealFiled, recorded: RecordedEvent) -> None:
    _awaiting(event.task_id, event.layer, recorded)


@on(ReviewAssigned)
def _assigned(event: ReviewAssigned, recorded: RecordedEvent) -> None:
    rows(ReviewAssignment).insert(
        id=event.assignment_id,
        task_id=event.task_id,
        layer=event.layer,
        kind=event.kind,
        calibration=event.calibration,
        reviewer_id=event.reviewer_id,
        submission_version=event.submission_version,
        status=AssignmentStatus.PENDING,
        assigned_at=recorded.recorded_at,
        due_at=event.due_at,
    )
    rows(ReviewerLoad).update(
        {"pk": event.reviewer_id}, pending=projections.Increment(1), last_assigned_at=recorded.recorded_at
    )
    rows(AwaitingReview).delete(pk=event.task_id)


def _end(assignment_id: Any, reviewer_id: int, recorded: RecordedEvent, **fields: Any) -> None:
    rows(ReviewAssignment).update({"pk": assignment_id}, ended_at=recorded.recorded_at, **fields)
    rows(ReviewerLoad).update({"pk": reviewer_id}, pending=projections.Increment(-1))


@on(ReviewExpired, ReviewReassigned)
def _taken_back(event: ReviewExpired | ReviewReassigned, recorded: RecordedEvent) -> None:
    status = AssignmentStatus.EXPIRED if isinstance(event, ReviewExpired) else AssignmentStatus.REASSIGNED
    _end(event.assignment_id, event.reviewer_id, recorded, status=status)
    ((layer, calibration),) = rows(ReviewAssignment).values("layer", "calibration", pk=event.assignment_id)
    if not calibration:  # a plant is offered to reviewers due for one, never queued
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
    rows(ReviewReason).insert_many(
        {"assignment_id": event.assignment_id, "code": code} for code in event.reasons
    )


@on(TaskCancelled)
def _cancelled(event: TaskCancelled, recorded: RecordedEvent) -> None:
    pending = rows(ReviewAssignment).values(
        "id", "reviewer_id", task_id=event.task_id, status=AssignmentStatus.PENDING
    )
    for assignment_id, reviewer_id in pending:
        _end(assignment_id, reviewer_id, recorded, status=AssignmentStatus.CANCELLED)
    rows(AwaitingReview).delete(pk=event.task_id)
