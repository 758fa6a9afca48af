"""Reactors: work that follows an event, done by Celery workers, exactly once.

The event log is the outbox. After a command commits, ``wake_for`` sends one Celery message per
reactor partition that has new work (or, without a broker, pumps in-process); Celery beat also
pumps every few seconds, so a lost message only delays the work.

A reactor's partitions split the log by stream (``Event.bucket``), so several workers can react in
parallel while each stream's events are still handled in order. Each event is handled in its own
transaction that locks the partition's checkpoint row (``SKIP LOCKED``: a second pump skips the
partition rather than waiting), runs the handler (whose commands join the transaction), and moves
the checkpoint. A redelivered message, two pumps at once, or a worker killed mid-batch therefore
neither repeat nor skip an event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings

from marlin.eventstore import context
from marlin.eventstore.models import ReactorCheckpoint
from marlin.eventstore.store import (
    BUCKETS,
    RecordedEvent,
    bucket_of,
    command_transaction,
    head_position,
    read_after,
)
from marlin.kernel.errors import ConcurrencyConflict, DomainError
from marlin.kernel.events import DomainEvent

log = logging.getLogger(__name__)

Handler = Callable[[Any, RecordedEvent], None]
READ_BATCH = 100
CONFLICT_RETRIES = 3


class Reactor:
    """A named set of handlers for event types, run by the pump in ``partitions`` lanes."""

    def __init__(self, name: str, *, partitions: int = 1) -> None:
        if not 1 <= partitions <= BUCKETS:
            raise ValueError(f"partitions must be 1..{BUCKETS}")
        self.name = name
        self.partitions = partitions
        self.handlers: dict[str, Handler] = {}

    def on(self, *event_classes: type[DomainEvent]) -> Callable[[Handler], Handler]:
        def decorator(function: Handler) -> Handler:
            for event_class in event_classes:
                self.handlers[event_class.type_name] = function
            return function

        return decorator

    @property
    def event_types(self) -> list[str]:
        return sorted(self.handlers)

    def partition_of(self, bucket: int) -> int:
        return bucket % self.partitions

    def buckets(self, partition: int) -> list[int]:
        return [bucket for bucket in range(BUCKETS) if bucket % self.partitions == partition]


_registry: dict[str, Reactor] = {}


def register(reactor: Reactor) -> Reactor:
    if reactor.name in _registry:
        raise ValueError(f"reactor {reactor.name!r} is registered twice")
    _registry[reactor.name] = reactor
    return reactor


def registered() -> tuple[Reactor, ...]:
    return tuple(_registry.values())


def get(name: str) -> Reactor:
    return _registry[name]


# --- pumping -------------------------------------------------------------------------------------


def pump(reactor: Reactor, partition: int, *, max_events: int = 1000) -> int:
    """Handle the partition's new events, at most ``max_events``; return how many were handled.

    Returns early when another pump holds the partition: that pump will see the same events.
    """
    _ensure_checkpoints(reactor)
    head = head_position()
    position = _checkpoint_position(reactor, partition)
    handled = 0
    while handled < max_events:
        batch = read_after(
            position,
            limit=READ_BATCH,
            types=reactor.event_types,
            up_to=head,
            buckets=reactor.buckets(partition),
        )
        if not batch:
            _advance_idle_checkpoint(reactor, partition, head)
            return handled
        for recorded in batch:
            if not _handle_with_retries(reactor, partition, recorded):
                return handled
            handled += 1
            position = recorded.position or position
    return handled


def pump_all() -> int:
    """Pump every partition of every reactor in this process (the embedded mode and tests)."""
    return sum(
        pump(reactor, partition) for reactor in registered() for partition in range(reactor.partitions)
    )


def _handle_with_retries(reactor: Reactor, partition: int, recorded: RecordedEvent) -> bool:
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            return _handle_one(reactor, partition, recorded)
        except ConcurrencyConflict:
            log.info("%s: conflict on #%s, attempt %s", reactor.name, recorded.position, attempt)
    return False


def _handle_one(reactor: Reactor, partition: int, recorded: RecordedEvent) -> bool:
    """Handle one event in one transaction with its checkpoint. False: partition is busy."""
    correlation = recorded.metadata.get("correlation_id")
    with (
        context.caused_by(correlation_id=correlation, causation_id=str(recorded.event_id)),
        command_transaction(),
    ):
        checkpoint = (
            ReactorCheckpoint.objects.select_for_update(skip_locked=True)
            .filter(reactor=reactor.name, partition=partition)
            .first()
        )
        if checkpoint is None:
            return False
        if checkpoint.position >= (recorded.position or 0):
            return True  # another pump handled it already
        _run_handler(reactor, recorded)
        checkpoint.position = recorded.position
        checkpoint.save(update_fields=["position"])
    return True


def _run_handler(reactor: Reactor, recorded: RecordedEvent) -> None:
    handler = reactor.handlers[recorded.type]
    try:
        handler(recorded.event, recorded)
    except ConcurrencyConflict:
        raise
    except DomainError as refusal:
        # A refusal is a decision about the current state; repeating it would refuse again.
        log.info("%s: #%s refused: %s", reactor.name, recorded.position, refusal.message)


def _ensure_checkpoints(reactor: Reactor) -> None:
    ReactorCheckpoint.objects.bulk_create(
        [ReactorCheckpoint(reactor=reactor.name, partition=p) for p in range(reactor.partitions)],
        ignore_conflicts=True,
    )


def _checkpoint_position(reactor: Reactor, partition: int) -> int:
    return (
        ReactorCheckpoint.objects.filter(reactor=reactor.name, partition=partition)
        .values_list("position", flat=True)
        .get()
    )


def _advance_idle_checkpoint(reactor: Reactor, partition: int, head: int) -> None:
    """Skip past events this partition does not handle, so the next read starts near the head."""
    with command_transaction():
        checkpoint = (
            ReactorCheckpoint.objects.select_for_update(skip_locked=True)
            .filter(reactor=reactor.name, partition=partition, position__lt=head)
            .first()
        )
        if checkpoint is not None:
            checkpoint.position = head
            checkpoint.save(update_fields=["position"])


# --- waking --------------------------------------------------------------------------------------

_inline = threading.local()


def wake_for(events: Iterable[RecordedEvent]) -> None:
    """After a commit: wake each reactor partition that has one of ``events`` to handle."""
    targets = sorted(
        {
            (reactor.name, reactor.partition_of(_bucket(event)))
            for event in events
            for reactor in _registry.values()
            if event.type in reactor.handlers
        }
    )
    if targets:
        dispatch(targets)


def _bucket(event: RecordedEvent) -> int:
    return bucket_of(event.stream)


def dispatch(targets: Sequence[tuple[str, int]]) -> None:
    """Send a pump message per target, or pump in-process when no broker is configured."""
    if settings.CELERY_BROKER_URL:
        _send(targets)
    else:
        _pump_inline(targets)


def _send(targets: Sequence[tuple[str, int]]) -> None:
    # marlin.jobs registers the Celery tasks that call back into this module.
    from marlin.jobs import pump_reactor_job  # noqa: PLC0415

    for name, partition in targets:
        try:
            pump_reactor_job.apply_async(args=[name, partition], retry=False)
        except Exception:  # noqa: BLE001 - the broker is down; beat's sweep will pump later
            log.warning("broker unreachable: %s[%s] waits for the periodic pump", name, partition)
            return


def _pump_inline(targets: Sequence[tuple[str, int]]) -> None:
    queue: set[tuple[str, int]] | None = getattr(_inline, "queue", None)
    if queue is not None:  # already pumping on this thread: the outer loop takes these too
        queue.update(targets)
        return
    _inline.queue = queue = set(targets)
    try:
        while queue:
            name, partition = queue.pop()
            try:
                pump(_registry[name], partition)
            except Exception:
                log.exception("in-process pump of %s[%s] failed; the next wake retries", name, partition)
    finally:
        _inline.queue = None


# --- sweeps ----------------------------------------------------------------------------------------


def sweep(ids: Iterable[Any], command: Callable[[Any], None], *, what: str) -> int:
    """Run ``command`` for each id in its own transaction; count those it did.

    For the periodic jobs that catch up on deadlines: an item that moved on meanwhile (submitted,
    decided) is refused by its command and skipped, which is the expected outcome, not an error.
    """
    done = 0
    for item in ids:
        try:
            command(item)
            done += 1
        except DomainError as refusal:
            log.info("%s %s skipped: %s", what, item, refusal.message)
    return done
