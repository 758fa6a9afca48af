"""Celery entry points of the reviews app: review deadlines and the routing sweep."""

from __future__ import annotations

import logging

from celery import shared_task

from marlin.kernel import clock
from marlin.kernel.errors import DomainError
from reviews import commands
from reviews.models import ReviewAssignmentView
from tasks.domain.task import AssignmentStatus

log = logging.getLogger(__name__)
BATCH = 500


@shared_task(name="reviews.expire_overdue_reviews")
def expire_overdue_reviews_job() -> int:
    """Take back every pending review past its due time (routing then reassigns it)."""
    overdue = ReviewAssignmentView.objects.filter(status=AssignmentStatus.PENDING, due_at__lte=clock.now())
    expired = 0
    for assignment_id in overdue.order_by("due_at").values_list("pk", flat=True)[:BATCH]:
        try:
            commands.review_expire(assignment_id=assignment_id)
            expired += 1
        except DomainError as refusal:
            log.info("review %s not expired: %s", assignment_id, refusal.message)
    return expired


@shared_task(name="reviews.route_waiting_reviews")
def route_waiting_reviews_job() -> int:
    """The periodic sweep of the unassigned queue, in case a freeing event was missed."""
    return commands.review_route_waiting(limit=BATCH)
