"""Routing in Celery: work entering a layer is routed; freed capacity routes waiting work;
a deactivated reviewer's pending reviews go to others."""

from __future__ import annotations

from typing import Any

from marlin import reactors
from marlin.eventstore.store import RecordedEvent
from people.domain import PersonDeactivated, PersonReactivated, PersonRegistered, PersonUpdated
from reviews import commands
from tasks.domain.events import JudgmentSubmitted, TaskCancelled
from tasks.domain.review_round import ReviewDecided, ReviewExpired, ReviewReassigned, TaskEnteredLayer

ROUTE_ON_FREED_CAPACITY = 20  # tasks routed inline per freeing event; the sweep takes the rest

routing = reactors.register(reactors.Reactor("review-routing", partitions=4))


@routing.on(JudgmentSubmitted, TaskEnteredLayer, ReviewExpired, ReviewReassigned)
def route_task(event: Any, recorded: RecordedEvent) -> None:
    """A layer has no reviewer: find one."""
    commands.review_route(task_id=event.task_id)


@routing.on(ReviewDecided, TaskCancelled, PersonRegistered, PersonReactivated, PersonUpdated)
def route_waiting_work(event: Any, recorded: RecordedEvent) -> None:
    """Capacity freed or a reviewer appeared or changed: route what waits, oldest first."""
    commands.review_route_waiting(limit=ROUTE_ON_FREED_CAPACITY)


@routing.on(PersonDeactivated)
def withdraw_pending_reviews(event: PersonDeactivated, recorded: RecordedEvent) -> None:
    commands.reviews_withdraw_from(reviewer_id=event.user_id)
