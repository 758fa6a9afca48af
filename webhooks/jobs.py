"""Celery entry points of the webhooks app: the periodic sweep and one endpoint's deliveries."""

from __future__ import annotations

import logging
from uuid import UUID

from celery import shared_task
from django.conf import settings

from webhooks import deliveries

log = logging.getLogger(__name__)


@shared_task(name="webhooks.deliver_webhooks")
def deliver_webhooks_job() -> int:
    """Every few seconds: hand each endpoint with something due (a new event, a retry whose time
    has come, a replay) to a worker; without a broker (the embedded mode), deliver in-process."""
    due = deliveries.endpoints_with_work()
    if not settings.CELERY_BROKER_URL:
        return sum(deliveries.deliver_endpoint(endpoint_id) for endpoint_id in due)
    for endpoint_id in due:
        try:
            deliver_endpoint_job.apply_async(args=[str(endpoint_id)], retry=False)
        except Exception:  # noqa: BLE001 - the broker is down; the next sweep sends again
            log.warning("broker unreachable: webhook deliveries wait for the next sweep")
            break
    return len(due)


@shared_task(name="webhooks.deliver_endpoint")
def deliver_endpoint_job(endpoint_id: str) -> int:
    """Deliver what is due for one endpoint (returns at once if another worker is on it)."""
    return deliveries.deliver_endpoint(UUID(endpoint_id))
