"""Celery entry points of the tasks app (``tasks`` is this app's name, hence ``jobs``)."""

from __future__ import annotations

from celery import shared_task

from marlin.kernel import clock
from marlin.reactors import sweep
from tasks import commands
from tasks.domain.task import TaskStatus
from tasks.models import Task

BATCH = 500


@shared_task(name="tasks.expire_stale_claims")
def expire_stale_claims_job() -> int:
    """Return every claim past its project's claim timeout to the open queue."""
    stale = Task.objects.filter(status=TaskStatus.CLAIMED, claim_expires_at__lte=clock.now())
    ids = list(stale.order_by("claim_expires_at").values_list("pk", flat=True)[:BATCH])
    return sweep(ids, lambda task_id: commands.task_expire_claim(task_id=task_id), what="claim on")
