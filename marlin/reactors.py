"""Reactors: work that follows an event, done by Celery workers, exactly once.

The event log is the outbox. After a command commits, ``wake_for`` sends one Celery message per
reactor partition that has new work (or, without a broker, pumps in-process); Celery beat also
pumps every few seconds, so a lost message only delays the work. Wake-ups coalesce: while a
partition's message waits in the queue or its pump runs (a flag in the broker's Redis), commits
send no other, since that pump will read their events too.

A reactor's partitions split the log by stream (``Event.bucket``), so several workers can react in
parallel while each stream's events are still handled in order. A pump first peeks, in one query,
whether the partition has anything new. It then handles a batch of events (up to ``READ_BATCH``,
or ``BATCH_SECONDS`` of handler time) in one transaction that locks the partition's checkpoint
row (``SKIP LOCKED``: a second pump skips the partition rather than waiting), runs the handlers
(whose commands join the transaction, each under its own savepoint) and moves the checkpoint once.
If a handler fails, the batch rolls back and its events are handled one per transaction, so the
events before a poison are kept, the poison stops the partition, and conflicts are retried as
before. A redelivered message, two pumps at once, or a worker killed mid-batch therefore neither
repeat nor skip an event.

No lost wake-up: a pump that finds the partition held returns at once, and the holder peeks again
after every commit, before it lets go: it sees whatever committed before the other pump gave up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection

from marlin import reactor_checkpoints as checkpoints
from marlin import wake_flags
from marlin.eventstore import context
from marlin.eventstore.store import (
    BUCKETS,
    RecordedEvent,
    UnitOfWork,
    bucket_of,
    command_transaction,
    lost_a_race,
    read_after,
)
from marlin.kernel.errors import ConcurrencyConflict, DomainError
from marlin.kernel.events import DomainEvent

log = logging.getLogger(__name__)

Handler = Callable[[Any, RecordedEvent], None]
READ_BATCH = 100  # events handled in one transaction, at most
EVENTS_PER_WAKE = 1000  # then the pump wakes its partition again, so other messages get a turn
# A woken pump hands its worker process back after this long and wakes its partition again at the
# back of the queue: while events keep arriving, a pump would otherwise hold a process for
# seconds, and the other partitions' wake-ups (a submission waiting for routing) queue behind it.
WAKE_SECONDS = 0.1
BATCH_SECONDS = 0.1  # of handler time, after which a batch commits what it has done
CONFLICT_RETRIES = 3
# Inside a batch (PostgreSQL), a handler waits this long for a row another transaction holds;
# then the batch fails and its events run one per transaction, where each waits as long as it
# must. A batch holds the rows of every event it handled so far: two batches each waiting for a
# row the other took (a revision going back to its named reviewer) deadlocked, and PostgreSQL took
# a second to notice, stalling both partitions.
BATCH_LOCK_WAIT = "50ms"
# Wake-up messages' priorities on the Redis broker, where 0 is the highest (kombu keeps a list per
# step of 0, 3, 6, 9 and a worker pops the lists in that order). An urgent reactor's partition
# has at most one message queued (wake-ups coalesce), so the routine ones always get their turn.
URGENT_PRIORITY = 0
ROUTINE_PRIORITY = 3


class Reactor:
    """A named set of handlers for event types, run by the pump in ``partitions`` lanes.

    ``urgent``: someone is waiting for its reactions (a submission for its reviewer), so its
    wake-ups are taken from the broker before the others' (``URGENT_PRIORITY``)."""

    def __init__(self, name: str, *, partitions: int = 1, urgent: bool = False) -> None:
        if not 1 <= partitions <= BUCKETS:
            raise ValueError(f"partitions must be 1..{BUCKETS}")
        self.name = name
        self.partitions = partitions
        self.urgent = urgent
        self.handlers: dict[str, Handler] = {}
        self._wakes: dict[str, Callable[[RecordedEvent], bool]] = {}

    def on(
        self, *event_classes: type[DomainEvent], wakes: Callable[[RecordedEvent], bool] | None = None
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function for ``event_classes``. ``wakes``: which of those
        events are worth a wake-up of their own (all by default); the others are handled when
        something else wakes the partition, at the latest by beat's periodic pump, which costs
        one batch every few seconds instead of a message and a pump per event."""

        def decorator(function: Handler) -> Handler:
            for event_class in event_classes:
                self.handlers[event_class.type_name] = function
                if wakes is not None:
                    self._wakes[event_class.type_name] = wakes
            return function

        return decorator

    def wakes_for(self, recorded: RecordedEvent) -> bool:
        """Whether committing ``recorded`` should wake this reactor now."""
        if recorded.type not in self.handlers:
            return False
        wakes = self._wakes.get(recorded.type)
        return wakes is None or wakes(recorded)

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

    Returns early when another pump holds the partition: that pump peeks again after its commit,
    so it handles what this one found.
    """
    return _pump(reactor, partition, max_events=max_events, max_seconds=None)[0]


def _pump(
    reactor: Reactor, partition: int, *, max_events: int, max_seconds: float | None
) -> tuple[int, bool]:
    """``pump``, also stopping after ``max_seconds``; returns (handled, whether it stopped with
    events perhaps left: at ``max_events`` or out of time)."""
    started = time.monotonic()
    handled = 0
    while handled < max_events:
        if not checkpoints.has_new_events(reactor, partition):
            return handled, False
        if max_seconds is not None and handled and time.monotonic() - started >= max_seconds:
            return handled, True
        done = _handle_batch(reactor, partition, limit=min(READ_BATCH, max_events - handled))
        if done is None:
            return handled, False
        handled += done
    return handled, True


def pump_all() -> int:
    """Pump every partition of every reactor in this process (the embedded mode and tests)."""
    return sum(
        pump(reactor, partition) for reactor in registered() for partition in range(reactor.partitions)
    )


def _handle_batch(reactor: Reactor, partition: int, *, limit: int) -> int | None:
    """Handle the next events in one transaction; None when another pump holds the partition.

    On a handler's failure (a conflict, a bug) the batch rolls back and the same events are
    handled one per transaction, which keeps the retry and poison semantics of a single event.
    """
    try:
        return _handle_together(reactor, partition, limit=limit)
    except Exception as error:  # noqa: BLE001 - handled again one by one, where it surfaces
        log.info("%s[%s]: batch failed (%r); one event per transaction", reactor.name, partition, error)
    return _handle_one_by_one(reactor, partition, limit=limit)


def _handle_together(reactor: Reactor, partition: int, *, limit: int) -> int | None:
    started = time.monotonic()
    with command_transaction() as uow:
        checkpoint = checkpoints.lock(reactor, partition)
        if checkpoint is None:
            return None
        batch = _read(reactor, partition, checkpoint.position, limit=limit)
        # Its commands join without a savepoint each; a refusal after a write fails the batch,
        # which then runs one event per transaction (``store.FailedAfterWriting``).
        uow.joins_without_savepoint = True
        handled = 0
        base_metadata = uow.metadata
        _limit_lock_waits(BATCH_LOCK_WAIT)
        try:
            for recorded in batch:
                with _caused_by(uow, recorded, base_metadata):
                    _run_handler(reactor, recorded)
                handled += 1
                if time.monotonic() - started > BATCH_SECONDS:
                    break  # commit what is done: the effects show and the lock frees sooner
        finally:
            uow.metadata = base_metadata
        _limit_lock_waits(None)  # appending the events waits for the position counter as usual
        if handled:
            checkpoints.move(checkpoint, batch[handled - 1].position)
    return handled


def _limit_lock_waits(timeout: str | None) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if timeout is None:
                cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
            else:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])


def _handle_one_by_one(reactor: Reactor, partition: int, *, limit: int) -> int | None:
    handled = 0
    for recorded in _read(reactor, partition, checkpoints.position_of(reactor, partition), limit=limit):
        if not _handle_with_retries(reactor, partition, recorded):
            return handled or None
        handled += 1
    return handled


def _handle_with_retries(reactor: Reactor, partition: int, recorded: RecordedEvent) -> bool:
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            return _handle_one(reactor, partition, recorded)
        except ConcurrencyConflict:
            log.info("%s: conflict on #%s, attempt %s", reactor.name, recorded.position, attempt)
        except OperationalError as error:
            if not lost_a_race(error):
                raise
            log.info("%s: lost a race on #%s, attempt %s", reactor.name, recorded.position, attempt)
    return False


def _handle_one(reactor: Reactor, partition: int, recorded: RecordedEvent) -> bool:
    """Handle one event in one transaction with its checkpoint. False: partition is busy."""
    with command_transaction() as uow:
        checkpoint = checkpoints.lock(reactor, partition)
        if checkpoint is None:
            return False
        if checkpoint.position >= (recorded.position or 0):
            return True  # another pump handled it already
        with _caused_by(uow, recorded, uow.metadata):
            _run_handler(reactor, recorded)
        checkpoints.move(checkpoint, recorded.position)
    return True


@contextmanager
def _caused_by(uow: UnitOfWork, recorded: RecordedEvent, base: dict[str, Any]) -> Iterator[None]:
    """The reaction's events name ``recorded`` as their cause and carry its correlation on: set
    in the context (for anything that reads it) and on the batch's unit of work, whose metadata
    was taken when the batch began."""
    correlation = recorded.metadata.get("correlation_id") or base.get("correlation_id")
    causation = str(recorded.event_id)
    with context.caused_by(correlation_id=correlation, causation_id=causation):
        uow.metadata = {**base, "correlation_id": correlation, "causation_id": causation}
        try:
            yield
        finally:
            uow.metadata = base


def _run_handler(reactor: Reactor, recorded: RecordedEvent) -> None:
    handler = reactor.handlers[recorded.type]
    try:
        handler(recorded.event, recorded)
    except ConcurrencyConflict:
        raise
    except DomainError as refusal:
        # A refusal is a decision about the current state; repeating it would refuse again.
        log.info("%s: #%s refused: %s", reactor.name, recorded.position, refusal.message)


def _read(reactor: Reactor, partition: int, after: int, *, limit: int) -> list[RecordedEvent]:
    return read_after(after, limit=limit, types=reactor.event_types, buckets=reactor.buckets(partition))


# --- waking --------------------------------------------------------------------------------------

_inline = threading.local()


def wake_for(events: Iterable[RecordedEvent]) -> None:
    """After a commit: wake each reactor partition that has one of ``events`` to handle."""
    targets = sorted(
        {
            (reactor.name, reactor.partition_of(_bucket(event)))
            for event in events
            for reactor in _registry.values()
            if reactor.wakes_for(event)
        }
    )
    if targets:
        dispatch(targets)


def _bucket(event: RecordedEvent) -> int:
    return bucket_of(event.stream)


def dispatch(targets: Sequence[tuple[str, int]], *, coalesce: bool = True) -> None:
    """Send a pump message per target (none for a target whose message is still queued, unless
    ``coalesce`` is off), or pump in-process when no broker is configured."""
    if settings.CELERY_BROKER_URL:
        _send(targets, coalesce=coalesce)
    else:
        _pump_inline(targets)


def pump_woken(reactor: Reactor, partition: int) -> int:
    """The pump a wake-up message starts. The partition's flag stays raised while it pumps, so
    commits meanwhile send no message: this pump reads their events. Then it lowers the flag and
    peeks once more, for a commit that came after its last read but found the flag still raised;
    a commit after the lowering sends a message of its own. If the work outlasts its turn
    (``WAKE_SECONDS`` or ``EVENTS_PER_WAKE``), it wakes the partition again, behind the messages
    already queued, rather than hold its worker or leave the rest to beat; the flag stays raised
    for that message.

    (Lowering the flag first, as this pump once did, had every commit during a pump send a
    message whose pump then found nothing to do: a quarter of the workday's wake-ups.)"""
    handled, unfinished = _pump(reactor, partition, max_events=EVENTS_PER_WAKE, max_seconds=WAKE_SECONDS)
    if not unfinished:
        wake_flags.lower_flag(reactor.name, partition)
        more, unfinished = _pump(reactor, partition, max_events=EVENTS_PER_WAKE, max_seconds=WAKE_SECONDS)
        handled += more
    if unfinished:
        dispatch([(reactor.name, partition)], coalesce=False)
    return handled


def _send(targets: Sequence[tuple[str, int]], *, coalesce: bool) -> None:
    # marlin.jobs registers the Celery tasks that call back into this module.
    from marlin.jobs import pump_reactor_job  # noqa: PLC0415

    for name, partition in targets:
        if coalesce and not wake_flags.raise_flag(name, partition):
            continue  # a queued message will start a pump that reads this commit's events too
        try:
            priority = URGENT_PRIORITY if _registry[name].urgent else ROUTINE_PRIORITY
            pump_reactor_job.apply_async(args=[name, partition], retry=False, priority=priority)
        except Exception:  # noqa: BLE001 - the broker is down; beat's sweep will pump later
            log.warning("broker unreachable: %s[%s] waits for the periodic pump", name, partition)
            if coalesce:
                wake_flags.lower_flag(name, partition)  # no message is queued after all
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
