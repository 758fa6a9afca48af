"""Reactor checkpoints: how far each reactor partition has handled the log.

A pump peeks at its partition's checkpoint (is there a newer event it takes?), locks it while a
batch runs (``SKIP LOCKED``: a second pump skips the partition rather than wait) and moves it once
at the batch's end. A partition with nothing of its own moves its checkpoint to the head, so later
reads start near it. The hot statements are compiled once (``marlin.compiled_queries``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from marlin.compiled_queries import compiled
from marlin.eventstore.models import Event, ReactorCheckpoint

if TYPE_CHECKING:
    from marlin.reactors import Reactor


def has_new_events(reactor: Reactor, partition: int) -> bool:
    """Is there an event after the checkpoint for this partition? One query in the common case.

    When there is none but the log has moved on (other reactors' or partitions' events), the
    checkpoint moves to the head, so later reads start near it.
    """
    found = _peek(reactor, partition)
    if found is None:
        _ensure(reactor)
        found = _peek(reactor, partition)
        assert found is not None
    position, next_position, head = found
    if next_position is not None:
        return True
    if head is not None and position < head:
        _advance_idle(reactor, partition, head)
    return False


def _peek(reactor: Reactor, partition: int) -> tuple[int, int | None, int | None] | None:
    """(checkpoint, the next event's position or None, the head) in one statement; None when the
    checkpoint row is missing. One snapshot: since positions commit in order, an event not seen
    here committed after it."""
    # The shape names what the SQL depends on: the reactor (its name, partitions and the event
    # types its handlers take, which grow as handlers are registered) and the partition.
    rows = _peek_query(reactor=reactor, types=tuple(reactor.event_types), partition=partition)
    return rows[0] if rows else None


@compiled
def _peek_query(*, reactor: Reactor, types: tuple[str, ...], partition: int) -> QuerySet[ReactorCheckpoint]:
    return _peek_queryset(reactor, partition)


def _peek_queryset(reactor: Reactor, partition: int) -> QuerySet[ReactorCheckpoint]:
    next_event = (
        Event.objects.filter(
            position__gt=OuterRef("position"),
            type__in=reactor.event_types,
            bucket__in=reactor.buckets(partition),
        )
        .order_by("position")
        .values("position")[:1]
    )
    head = Event.objects.order_by("-position").values("position")[:1]
    return (
        ReactorCheckpoint.objects.filter(reactor=reactor.name, partition=partition)
        .annotate(next_position=Subquery(next_event), head=Subquery(head))
        .values_list("position", "next_position", "head")
        .order_by("pk")[:1]
    )


@dataclass(frozen=True)
class Checkpoint:
    pk: int
    position: int


def lock(reactor: Reactor, partition: int) -> Checkpoint | None:
    """The partition's checkpoint, locked until commit; None when another pump holds it."""
    rows = _locked(reactor=reactor.name, partition=partition)
    return Checkpoint(*rows[0]) if rows else None


@compiled
def _locked(*, reactor: str, partition: int) -> QuerySet[ReactorCheckpoint]:
    return (
        ReactorCheckpoint.objects.select_for_update(skip_locked=True)
        .filter(reactor=reactor, partition=partition)
        .values_list("pk", "position")[:1]
    )


def move(checkpoint: Checkpoint, position: int | None) -> None:
    ReactorCheckpoint.objects.filter(pk=checkpoint.pk).update(position=position)


def _ensure(reactor: Reactor) -> None:
    ReactorCheckpoint.objects.bulk_create(
        [ReactorCheckpoint(reactor=reactor.name, partition=p) for p in range(reactor.partitions)],
        ignore_conflicts=True,
    )


def position_of(reactor: Reactor, partition: int) -> int:
    return (
        ReactorCheckpoint.objects.filter(reactor=reactor.name, partition=partition)
        .values_list("position", flat=True)
        .get()
    )


def _advance_idle(reactor: Reactor, partition: int, head: int) -> None:
    """Skip past events this partition does not handle (none of its own up to ``head``, as the
    peek saw), so the next read starts near the head. Never backwards; a held row is left to its
    holder. One statement."""
    if connection.vendor != "postgresql":
        ReactorCheckpoint.objects.filter(reactor=reactor.name, partition=partition, position__lt=head).update(
            position=head
        )
        return
    table = connection.ops.quote_name(ReactorCheckpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET position = %s WHERE id = (SELECT id FROM {table} "
            "WHERE reactor = %s AND partition = %s AND position < %s FOR UPDATE SKIP LOCKED)",
            [head, reactor.name, partition, head],
        )
