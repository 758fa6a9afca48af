"""Routing in Celery: work entering a layer is routed; freed capacity goes to the reviewer who
has it; a deactivated reviewer's pending reviews go to others.

Routing follows room, not the queue: an event that frees or adds capacity routes waiting work
to that reviewer only, so when everyone is full it costs a query whatever the queue's length.
"""

from __future__ import annotations

from typing import Any

from marlin import reactors
from marlin.eventstore.store import RecordedEvent
from people.domain import PersonDeactivated, PersonReactivated, PersonRegistered, PersonUpdated
from reviews import commands
from reviews.models import ReviewAssignment
from tasks.domain.calibration import CalibrationPlanted
from tasks.domain.events import AppealFiled, JudgmentSubmitted, TaskCancelled
from tasks.domain.review_round import (
    AssignmentStatus,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskEnteredLayer,
)

routing = reactors.register(reactors.Reactor("review-routing", partitions=4, urgent=True))


@routing.on(JudgmentSubmitted, TaskEnteredLayer, AppealFiled)
def route_task(event: Any, recorded: RecordedEvent) -> None:
    """A layer (or an appeal) has no reviewer: find one. A gold submission is scored, not
    reviewed (``tasks.reactors``)."""
    if isinstance(event, JudgmentSubmitted) and event.gold:
        return
    commands.review_route(task_id=event.task_id)


@routing.on(ReviewExpired, ReviewReassigned)
def route_taken_back(event: ReviewExpired | ReviewReassigned, recorded: RecordedEvent) -> None:
    """The review goes to someone else, and the reviewer it was taken from has room again."""
    commands.review_route(task_id=event.task_id)
    commands.review_route_waiting(reviewer_id=event.reviewer_id)


@routing.on(ReviewDecided)
def route_to_decider(event: ReviewDecided, recorded: RecordedEvent) -> None:
    """A decision frees its reviewer's place: route waiting work to them."""
    commands.review_route_waiting(reviewer_id=event.reviewer_id)


@routing.on(CalibrationPlanted)
def spread_plant(event: CalibrationPlanted, recorded: RecordedEvent) -> None:
    """A new plant goes to the reviewers due for one."""
    commands.calibration_spread(plant_id=event.task_id)


@routing.on(TaskCancelled)
def route_to_freed_by_cancel(event: TaskCancelled, recorded: RecordedEvent) -> None:
    """A task cancelled in review frees the place its pending review held."""
    freed = ReviewAssignment.all_objects.filter(task_id=event.task_id, status=AssignmentStatus.CANCELLED)
    for reviewer_id in freed.values_list("reviewer_id", flat=True):
        commands.review_route_waiting(reviewer_id=reviewer_id)


@routing.on(PersonRegistered, PersonReactivated, PersonUpdated)
def route_to_person(
    event: PersonRegistered | PersonReactivated | PersonUpdated, recorded: RecordedEvent
) -> None:
    """A reviewer appeared, came back or changed (capacity, level, skills): route what they may
    take."""
    commands.review_route_waiting(reviewer_id=event.user_id)


@routing.on(PersonDeactivated)
def withdraw_pending_reviews(event: PersonDeactivated, recorded: RecordedEvent) -> None:
    commands.reviews_withdraw_from(reviewer_id=event.user_id)
