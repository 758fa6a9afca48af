"""Celery entry points of the tasks app (``tasks`` is this app's name, hence ``jobs``)."""

from __future__ import annotations

import logging

from celery import shared_task

from marlin.kernel import clock
from marlin.kernel.errors import DomainError
from tasks import commands
from tasks.domain.task import TaskStatus
from tasks.models import TaskView

log = logging.getLogger(__name__)
BATCH = 500


@shared_task(name="tasks.expire_stale_claims")
def expire_stale_claims_job() -> int:
    """Return every claim past its project's claim timeout to the open queue."""
    stale = TaskView.objects.filter(status=TaskStatus.CLAIMED, claim_expires_at__lte=clock.now())
    expired = 0
    for task_id in stale.order_by("claim_expires_at").values_list("pk", flat=True)[:BATCH]:
        try:
            commands.task_expire_claim(task_id=task_id)
            expired += 1
        except DomainError as refusal:  # submitted or released meanwhile
            log.info("claim on %s not expired: %s", task_id, refusal.message)
    return expired
