"""Celery entry points of the kernel: pump the reactors. Each job fetches, then calls a service."""

from __future__ import annotations

from celery import shared_task

from marlin import reactors
from marlin.api import idempotency


@shared_task(name="marlin.pump_reactor")
def pump_reactor_job(reactor_name: str, partition: int) -> int:
    """Handle new events of one reactor partition (sent after a commit)."""
    return reactors.pump_woken(reactors.get(reactor_name), partition)


@shared_task(name="marlin.pump_all_reactors")
def pump_all_reactors_job() -> None:
    """The periodic sweep: wake every partition, so nothing waits on a lost message (whose
    coalescing flag may still be up, hence sent regardless)."""
    reactors.dispatch(
        [(reactor.name, p) for reactor in reactors.registered() for p in range(reactor.partitions)],
        coalesce=False,
    )


@shared_task(name="marlin.purge_idempotency_keys")
def purge_idempotency_keys_job() -> int:
    """Forget Idempotency-Keys older than their time to live."""
    return idempotency.purge_expired()
