"""Celery entry points of the reviews app: review deadlines and the routing sweep."""

from __future__ import annotations

from celery import shared_task

from marlin.kernel import clock
from marlin.reactors import sweep
from reviews import commands
from reviews.models import ReviewAssignment
from tasks.domain.review_round import AssignmentStatus

BATCH = 500
# A routing sweep's turn: it shares the workers with the reactors, whose wake-ups queue behind a
# long sweep (one held a worker for 2.7 s under the workday); the next run, 15 s on, goes on.
SWEEP_SECONDS = 0.25


@shared_task(name="reviews.expire_overdue_reviews")
def expire_overdue_reviews_job() -> int:
    """Take back every pending review past its due time (routing then reassigns it)."""
    overdue = ReviewAssignment.all_objects.filter(status=AssignmentStatus.PENDING, due_at__lte=clock.now())
    ids = list(overdue.order_by("due_at").values_list("pk", flat=True)[:BATCH])
    return sweep(
        ids, lambda assignment_id: commands.review_expire(assignment_id=assignment_id), what="review"
    )


@shared_task(name="reviews.route_waiting_reviews")
def route_waiting_reviews_job() -> int:
    """The periodic sweep, in case a freeing event was missed: each reviewer with room takes the
    oldest waiting work they may take, a page of candidates at a time, at most ``BATCH`` tried or
    ``SWEEP_SECONDS`` per run (the next run goes on); one query when nobody has room."""
    return commands.review_route_waiting(limit=BATCH, max_seconds=SWEEP_SECONDS)
