"""Append to and read from the event log.

A command runs inside ``command_transaction()``: it reads its stream, decides, and calls
``uow.append(stream, expected_version, events)``. Appending applies the inline projectors at once
(so the command can read its own writes) and queues the rows; the last step before commit,
``flush()``, numbers, hashes and inserts them. On PostgreSQL that is one statement: it locks the
one-row counter, chains the events' hashes from the counter's last one, moves the counter on and
inserts the rows (``_append_chained``). Elsewhere, and for bulk imports (``COPY``), the positions
are taken first (``UPDATE ... SET position = position + n RETURNING position, last_hash``) and
the events hashed in Python. Because the counter's row lock is held until commit and command
transactions never nest inside other transactions (``atomic(durable=True)``), positions commit in
order and without gaps: a reader that follows positions never misses an event. The locked section
is that one statement and the commit.

Expected versions are checked without reading the stream again: a stale one collides with the
unique (stream, version) constraint at the insert, which becomes ``ConcurrencyConflict``; one
ahead of the stream is caught before the lock from the version the command read (or, for a
stream the command did not read, one indexed lookup of the row it claims to follow).

Lock order, always: projection rows, then the counter. Nothing takes a row lock after the counter.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet

from marlin.bulk_copy import COPY_FROM, copies_started, copy_values
from marlin.compiled_queries import compiled
from marlin.eventstore import context
from marlin.eventstore.integrity import GENESIS, canonical_json, chain_hash, content_tail_of_json
from marlin.eventstore.models import Event, PositionCounter, RecordedCommand
from marlin.kernel import clock
from marlin.kernel.errors import ConcurrencyConflict, Conflict
from marlin.kernel.events import DomainEvent, decode, encode

BUCKETS = 64
INSERT_BATCH = 1000
# PostgreSQL ended the transaction to break a deadlock (40P01) or a serialization conflict
# (40001), or a lock was not granted in time (55P03, lock_timeout): nothing of it committed, and
# the same command run again may well succeed.
LOST_RACE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})

log = logging.getLogger("marlin.eventstore")
T = TypeVar("T")


class CommandAlreadyRecorded(Conflict):
    """A command with this command id has already appended its events (nothing new is written)."""

    code = "already_applied"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored: the domain event plus its envelope. Slotted: an import holds
    thousands at once, and an instance without a ``__dict__`` is one object fewer each for the
    garbage collector to track."""

    event_id: uuid.UUID
    stream: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    position: int | None = None

    def at(self, position: int) -> RecordedEvent:
        """This event at its position in the log (``dataclasses.replace`` works out the fields
        each time: a bulk append numbers thousands)."""
        return RecordedEvent(
            event_id=self.event_id,
            stream=self.stream,
            version=self.version,
            type=self.type,
            schema_version=self.schema_version,
            data=self.data,
            metadata=self.metadata,
            recorded_at=self.recorded_at,
            position=position,
        )

    @property
    def event(self) -> DomainEvent:
        """The decoded domain event (upcast to the current schema version)."""
        return decode(self.type, self.schema_version, self.data)

    @classmethod
    def from_row(cls, row: Event) -> RecordedEvent:
        return cls(
            event_id=row.event_id,
            stream=row.stream,
            version=row.version,
            type=row.type,
            schema_version=row.schema_version,
            data=row.data,
            metadata=row.metadata,
            recorded_at=row.recorded_at,
            position=row.position,
        )


def bucket_of(stream: str) -> int:
    """A stable small hash of the stream: reactors split their work by it."""
    return zlib.crc32(stream.encode()) % BUCKETS


@dataclass(slots=True)
class _Pending:
    recorded: RecordedEvent
    expected_before: int  # the stream version the appender expected before this event


@dataclass
class UnitOfWork:
    """The events one command transaction appends; flushed as its last step."""

    metadata: dict[str, Any]
    command_id: uuid.UUID | None = None
    pending: list[_Pending] = field(default_factory=list)
    stream_versions: dict[str, int] = field(default_factory=dict)
    read_versions: dict[str, int] = field(default_factory=dict)  # as ``load_aggregate`` saw them
    appended: list[RecordedEvent] = field(default_factory=list)
    # Opened by an API view around the one command it runs: that command joins without a
    # savepoint (its refusal rolls the whole transaction back, nobody catches it in between).
    hosts_one_command: bool = False
    # Opened by a reactor batch: the commands joining it take no savepoint (two round trips
    # each). A refusal before the command wrote anything leaves nothing to undo; any failure
    # after it wrote raises ``FailedAfterWriting``, which fails the batch (see ``_joined``).
    joins_without_savepoint: bool = False
    _wake_registered: bool = False

    def append(
        self, stream: str, expected_version: int, events: Sequence[DomainEvent]
    ) -> list[RecordedEvent]:
        """Queue ``events`` on ``stream``, which must be at ``expected_version`` (0: new stream).

        The projectors apply the events at once; the stream's version is checked again, under the
        counter lock, when the transaction flushes. A stale version raises ``ConcurrencyConflict``
        and the whole transaction (projections included) rolls back.
        """
        return self.append_many([(stream, expected_version, events)])

    def append_many(self, appends: Sequence[tuple[str, int, Sequence[DomainEvent]]]) -> list[RecordedEvent]:
        """``append`` for many streams at once (bulk imports): projectors get the events in runs."""
        # The store applies the projectors, which read the store when they rebuild.
        from marlin import projections  # noqa: PLC0415

        recorded_at = clock.now()
        applied: list[tuple[DomainEvent, RecordedEvent]] = []
        for stream, expected_version, events in appends:
            known = self.stream_versions.get(stream)
            if known is not None and known != expected_version:
                raise ConcurrencyConflict(
                    f"{stream} is at version {known} in this command, not {expected_version}"
                )
            version = expected_version
            for domain_event in events:
                version += 1
                recorded = RecordedEvent(
                    event_id=uuid.uuid4(),
                    stream=stream,
                    version=version,
                    type=domain_event.type_name,
                    schema_version=domain_event.schema_version,
                    data=encode(domain_event),
                    metadata=self.metadata,  # shared, never changed: joined commands replace it
                    recorded_at=recorded_at,
                )
                self.pending.append(_Pending(recorded, expected_before=version - 1))
                applied.append((domain_event, recorded))
            self.stream_versions[stream] = version
        try:
            projections.apply_many(applied)
        except IntegrityError as error:
            # A concurrent command wrote the same projection row first (same aggregate, same
            # derived key): the same race the version check catches at flush, only earlier.
            raise ConcurrencyConflict("another command recorded the same change first") from error
        return [recorded for _, recorded in applied]

    def flush(self) -> list[RecordedEvent]:
        """Number, hash and insert the queued events. Call only as the transaction's last step:
        from the counter update on, the counter's row is locked until commit."""
        if not self.pending:
            return []
        pending, self.pending = self.pending, []
        _check_not_ahead(pending, self.read_versions)
        # Everything that does not depend on the position is prepared before the lock: each
        # event's data and metadata are encoded once, for the hash and for the insert alike.
        recorded = [item.recorded for item in pending]
        encoded = _encoded(recorded)
        try:
            if connection.vendor == "postgresql" and len(recorded) < COPY_FROM:
                first = _append_chained(recorded, encoded)
            else:
                first = _append_numbered_here(recorded, encoded)
        except IntegrityError as error:
            # The unique (stream, version) constraint: another command appended to a stream of
            # ours after we read it (the event_id is a fresh uuid4, the position ours alone).
            raise ConcurrencyConflict("another command changed this stream first") from error
        if self.command_id is not None:
            _record_command(self.command_id, first)
        flushed = [event.at(position) for position, event in enumerate(recorded, start=first)]
        self.appended.extend(flushed)
        self._wake_reactors_on_commit()
        return flushed

    def _wake_reactors_on_commit(self) -> None:
        if self._wake_registered:
            return
        self._wake_registered = True
        # The store wakes the reactors, which read the store.
        from marlin import reactors  # noqa: PLC0415

        transaction.on_commit(lambda: reactors.wake_for(self.appended))


def _encoded(recorded: Sequence[RecordedEvent]) -> list[tuple[str, str, str]]:
    """Per event: its data and metadata as canonical JSON, and the hashed content that does not
    depend on its position. Events of one command share their metadata: encoded once."""
    encoded = []
    metadata_of: dict[int, str] = {}
    for event in recorded:
        metadata_json = metadata_of.get(id(event.metadata))
        if metadata_json is None:
            metadata_json = metadata_of[id(event.metadata)] = canonical_json(event.metadata)
        data_json = canonical_json(event.data)
        tail = content_tail_of_json(
            str(event.event_id),
            event.stream,
            event.version,
            event.type,
            event.schema_version,
            data_json,
            metadata_json,
            event.recorded_at,
        )
        encoded.append((data_json, metadata_json, tail))
    return encoded


def _row_of(recorded: RecordedEvent, *, position: int, hash: str) -> Event:
    return Event(
        position=position,
        event_id=recorded.event_id,
        stream=recorded.stream,
        version=recorded.version,
        type=recorded.type,
        schema_version=recorded.schema_version,
        data=recorded.data,
        metadata=recorded.metadata,
        recorded_at=recorded.recorded_at,
        bucket=bucket_of(recorded.stream),
        hash=hash,
    )


def _append_chained(recorded: Sequence[RecordedEvent], encoded: Sequence[tuple[str, str, str]]) -> int:
    """Number, hash and insert the events in one statement (PostgreSQL); the first position.

    The statement locks the counter row, chains each event's hash to the one before it (sha256,
    in SQL, over the same payload as ``chain_hash``), moves the counter on and inserts the rows:
    one round trip where taking the positions and inserting were two, and the counter's lock is
    held for that one statement and the commit. A counter committed by another writer while this
    one waited for its lock is read as committed (``FOR NO KEY UPDATE`` reads the newest row), so
    the chain goes on from that writer's last event."""
    params: list[Any] = []
    for event, (data_json, metadata_json, tail) in zip(recorded, encoded, strict=True):
        params += (tail, *_stored_fields(event, data_json, metadata_json))
    with connection.cursor() as cursor:
        cursor.execute(_chained_insert_sql(len(recorded)), params)
        positions = [position for (position,) in cursor.fetchall()]
        if not positions:
            # The row exists after migrate; a flushed test database needs it again.
            PositionCounter.objects.bulk_create([PositionCounter(pk=1)], ignore_conflicts=True)
            cursor.execute(_chained_insert_sql(len(recorded)), params)
            positions = [position for (position,) in cursor.fetchall()]
    return min(positions)


@functools.cache
def _chained_insert_sql(count: int) -> str:
    """``_append_chained``'s statement for ``count`` events. The payload hashed is byte for byte
    ``chain_hash``'s: ``["<previous hash>",<position>,`` then the event's content tail after its
    opening bracket (ASCII JSON, so its UTF-8 bytes are its characters)."""
    quote = connection.ops.quote_name
    counter = quote(PositionCounter._meta.db_table)
    event_table = quote(Event._meta.db_table)
    rows = ", ".join(
        f"({n}, %s::text, %s::uuid, %s::text, %s::integer, %s::text, %s::integer, %s::jsonb, %s::jsonb, "
        "%s::timestamptz, %s::integer)"
        for n in range(1, count + 1)
    )
    columns = ", ".join(_EVENT_COLUMNS)
    return f"""WITH RECURSIVE
head AS MATERIALIZED (
  SELECT position, COALESCE(NULLIF(last_hash, ''), '{GENESIS}') AS hash FROM {counter}
  WHERE id = 1 FOR NO KEY UPDATE
),
input (n, tail, event_id, stream, version, type, schema_version, data, metadata, recorded_at, bucket)
  AS (VALUES {rows}),
chain (n, position, hash) AS (
  SELECT 0, position, hash FROM head
  UNION ALL
  SELECT i.n, c.position + 1, encode(sha256(convert_to(
    '["' || c.hash || '",' || (c.position + 1) || ',' || substr(i.tail, 2), 'UTF8')), 'hex')
  FROM chain c JOIN input i ON i.n = c.n + 1
),
moved AS (
  UPDATE {counter} SET position = last.position, last_hash = last.hash
  FROM (SELECT position, hash FROM chain WHERE n = {count}) last WHERE {counter}.id = 1
)
INSERT INTO {event_table} ({columns})
SELECT c.position, i.event_id, i.stream, i.version, i.type, i.schema_version, i.data, i.metadata,
       i.recorded_at, i.bucket, c.hash
FROM chain c JOIN input i ON i.n = c.n
RETURNING position"""


def _append_numbered_here(recorded: Sequence[RecordedEvent], encoded: Sequence[tuple[str, str, str]]) -> int:
    """Number and hash the events in Python between taking the positions and inserting: SQLite,
    and bulk imports on PostgreSQL (one binary ``COPY``); the first position."""
    first, previous_hash = _take_positions(len(recorded))
    hashes = []
    for position, (_, _, tail) in enumerate(encoded, start=first):
        previous_hash = chain_hash(previous_hash, position, tail)
        hashes.append(previous_hash)
    _insert_events(recorded, encoded, first=first, hashes=hashes)
    return first


def _take_positions(count: int) -> tuple[int, str]:
    """Lock the counter and move it on by ``count``: the first position that is ours, and the
    hash of the event before it. One statement; the row stays locked until commit."""
    table = connection.ops.quote_name(PositionCounter._meta.db_table)
    sql = f"UPDATE {table} SET position = position + %s WHERE id = 1 RETURNING position, last_hash"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count])
        row = cursor.fetchone()
        if row is None:
            # The row exists after migrate; a flushed test database needs it again.
            PositionCounter.objects.bulk_create([PositionCounter(pk=1)], ignore_conflicts=True)
            cursor.execute(sql, [count])
            row = cursor.fetchone()
    end, last_hash = row
    return end - count + 1, last_hash or GENESIS


_EVENT_COLUMNS = (
    "position",
    "event_id",
    "stream",
    "version",
    "type",
    "schema_version",
    "data",
    "metadata",
    "recorded_at",
    "bucket",
    "hash",
)


def _insert_events(
    recorded: Sequence[RecordedEvent],
    encoded: Sequence[tuple[str, str, str]],
    *,
    first: int,
    hashes: list[str],
) -> None:
    """Insert the numbered events and leave their last hash on the (locked) counter: on
    PostgreSQL a bulk import's one binary ``COPY``, its JSON columns the text hashed above."""
    counter = PositionCounter.objects.filter(pk=1)
    if connection.vendor == "postgresql":
        values = _event_values(recorded, encoded, first=first, hashes=hashes)
        copy_values(Event, _EVENT_COLUMNS, values, binary=True, json_text=("data", "metadata"))
    else:
        rows = [
            _row_of(event, position=position, hash=hash_)
            for position, (event, hash_) in enumerate(zip(recorded, hashes, strict=True), start=first)
        ]
        Event.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    counter.update(last_hash=hashes[-1])


def _stored_fields(event: RecordedEvent, data_json: str, metadata_json: str) -> tuple[Any, ...]:
    """An event's columns between its position and its hash, in ``_EVENT_COLUMNS`` order: what
    both inserts write of it (the chained statement, and the rows numbered in Python for a
    ``COPY`` or SQLite)."""
    return (
        event.event_id,
        event.stream,
        event.version,
        event.type,
        event.schema_version,
        data_json,
        metadata_json,
        event.recorded_at,
        bucket_of(event.stream),
    )


def _event_values(
    recorded: Sequence[RecordedEvent],
    encoded: Sequence[tuple[str, str, str]],
    *,
    first: int,
    hashes: list[str],
) -> list[tuple[Any, ...]]:
    """Each event's row in ``_EVENT_COLUMNS`` order, its data and metadata as their JSON text."""
    return [
        (position, *_stored_fields(event, data_json, metadata_json), hash_)
        for position, (event, (data_json, metadata_json, _), hash_) in enumerate(
            zip(recorded, encoded, hashes, strict=True), start=first
        )
    ]


def _check_not_ahead(pending: Sequence[_Pending], read_versions: dict[str, int]) -> None:
    """Refuse an expected version beyond the stream's end (it would leave a gap in the stream).

    A stale expected version needs no check here: the insert collides with the event already
    at that version. A version the command read in this transaction is known to exist; any other
    (a caller that did not read the stream) costs one indexed lookup for all such streams."""
    expected: dict[str, int] = {}
    for item in pending:
        expected.setdefault(item.recorded.stream, item.expected_before)
    unread: list[tuple[str, int]] = []
    for stream, version in expected.items():
        seen = read_versions.get(stream)
        if version == 0 or (seen is not None and version <= seen):
            continue
        unread.append((stream, version))
    for start in range(0, len(unread), INSERT_BATCH):
        chunk = unread[start : start + INSERT_BATCH]
        condition = Q()
        for stream, version in chunk:
            condition |= Q(stream=stream, version=version)
        found = set(Event.objects.filter(condition).values_list("stream", "version"))
        for stream, version in chunk:
            if (stream, version) not in found:
                raise ConcurrencyConflict(f"{stream} has no version {version}, which the command expected")


def _record_command(command_id: uuid.UUID, first_position: int) -> None:
    try:
        with transaction.atomic():
            RecordedCommand.objects.create(command_id=command_id, first_position=first_position)
    except IntegrityError as error:
        raise CommandAlreadyRecorded(f"command {command_id} was already recorded") from error


# --- the command transaction -------------------------------------------------------------------

_active = threading.local()


def active_unit_of_work() -> UnitOfWork | None:
    return getattr(_active, "uow", None)


@contextmanager
def command_transaction(
    *, actor_id: int | None = None, command_id: uuid.UUID | None = None, hosts_one_command: bool = False
) -> Iterator[UnitOfWork]:
    """Run a command: one durable transaction whose last step appends its events.

    Inside another command transaction (a reactor running a command) the block joins it under a
    savepoint, so the reactor's checkpoint and the command's events commit together, and a
    refused command leaves nothing behind. ``hosts_one_command``: the transaction of an API view
    around its one command (which then stores its Idempotency-Key response in the same commit);
    the first command to join it needs no savepoint.
    """
    outer = active_unit_of_work()
    if outer is not None:
        with _joined(outer, actor_id=actor_id):
            yield outer
        return
    if command_id is not None and RecordedCommand.objects.filter(command_id=command_id).exists():
        raise CommandAlreadyRecorded(f"command {command_id} was already recorded")
    with transaction.atomic(durable=True):
        metadata = _metadata(actor_id, command_id)
        uow = UnitOfWork(metadata=metadata, command_id=command_id, hosts_one_command=hosts_one_command)
        _active.uow = uow
        try:
            yield uow
            uow.flush()
        finally:
            _active.uow = None
    _active.commits = commits_in_this_thread() + 1


def commits_in_this_thread() -> int:
    """How many command transactions this thread has committed (it only ever grows)."""
    return getattr(_active, "commits", 0)


def lost_a_race(error: BaseException) -> bool:
    """PostgreSQL ended the transaction to break a deadlock or a serialization conflict (or a
    lock wait timed out): the error carries one of ``LOST_RACE_SQLSTATES``."""
    cause = error.__cause__ if isinstance(error, OperationalError) else None
    return getattr(cause, "sqlstate", None) in LOST_RACE_SQLSTATES


def retrying_a_lost_race(run: Callable[[], T], *, what: str = "command") -> T:
    """Run ``run`` (which runs commands); if PostgreSQL ends a command's transaction to break a
    deadlock or a serialization conflict, run it once more, so the caller meets the conflict only
    when it happens twice in a row (as 409 ``concurrent_update``).

    Run again only when that is safe: nothing ``run`` did has committed (no command transaction
    of this thread committed since it started) and no outer transaction remains (the one that
    failed was the outermost, so it rolled back whole). Otherwise the error goes up unchanged.
    """
    commits = commits_in_this_thread()
    try:
        return run()
    except OperationalError as error:
        if not lost_a_race(error) or commits_in_this_thread() != commits or connection.in_atomic_block:
            raise
        log.info("%s lost a race (%s): running it once more", what, error.__cause__.sqlstate)  # type: ignore[union-attr]
    return run()


@contextmanager
def _joined(uow: UnitOfWork, *, actor_id: int | None) -> Iterator[None]:
    saved_metadata = uow.metadata
    saved_pending = len(uow.pending)
    saved_versions = dict(uow.stream_versions)
    if actor_id is not None:
        uow.metadata = {**saved_metadata, "actor": actor_id}
    savepoint = not uow.hosts_one_command and not uow.joins_without_savepoint
    watched = not uow.hosts_one_command and uow.joins_without_savepoint
    uow.hosts_one_command = False
    try:
        if savepoint:
            with transaction.atomic():
                yield
        elif watched:
            with _failures_only_before_writes(uow, saved_pending):
                yield
        else:
            yield
    except BaseException:
        del uow.pending[saved_pending:]
        uow.stream_versions = saved_versions
        raise
    finally:
        uow.metadata = saved_metadata


class FailedAfterWriting(RuntimeError):
    """A command joined without a savepoint failed (a refusal, a lost race, any error) after it
    had written: its writes cannot be undone alone, so the transaction around it must roll back
    (a reactor batch then handles its events one per transaction, each command under its own
    savepoint)."""


@contextmanager
def _failures_only_before_writes(uow: UnitOfWork, pending_before: int) -> Iterator[None]:
    """Let an exception out as it is only when the block changed nothing a rollback would have
    to undo: no statement but a SELECT (a row lock is kept, which the batch's commit soon frees),
    no COPY, no event queued. Whoever catches it (routing goes on after a refusal or a lost race)
    then finds the transaction as it was. Projection writes held by ``writes_together`` and not
    yet sent are dropped with the exception, so they count only once sent."""
    wrote = False

    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal wrote
        if sql.lstrip()[:6].upper() != "SELECT":
            wrote = True
        return execute(sql, params, many, context)

    copies = copies_started()
    with connection.execute_wrapper(watch):
        try:
            yield
        except Exception as error:
            if wrote or copies_started() != copies or len(uow.pending) != pending_before:
                raise FailedAfterWriting(f"failed after writing: {error!r}") from error
            raise


def _metadata(actor_id: int | None, command_id: uuid.UUID | None) -> dict[str, Any]:
    causation = context.current()
    request_id = causation.request_id
    return {
        "actor": actor_id,
        "command_id": str(command_id) if command_id else None,
        "request_id": request_id,
        "correlation_id": causation.correlation_id or request_id or uuid.uuid4().hex,
        "causation_id": causation.causation_id,
    }


# --- reading ------------------------------------------------------------------------------------

S = TypeVar("S")


def load_aggregate(stream: str, evolve: Callable[[S, DomainEvent], S], initial: S) -> tuple[S, int]:
    """Fold a stream into state; return it with the stream's version (0: no events yet).

    Inside a command transaction, the events it has appended to the stream and not yet written
    (a reactor's batch runs several commands in one transaction) are folded too, so a second
    command on the same stream decides on what the first did instead of losing a race with it."""
    return fold_stream(stream, read_stream(stream), evolve, initial)


def fold_stream(
    stream: str, events: Sequence[RecordedEvent], evolve: Callable[[S, DomainEvent], S], initial: S
) -> tuple[S, int]:
    """``load_aggregate`` over ``events``, the stream as a caller read it (``read_stream_if``)."""
    state = initial
    version = 0
    for recorded in events:
        state = evolve(state, recorded.event)
        version = recorded.version
    uow = active_unit_of_work()
    if uow is not None:
        uow.read_versions[stream] = version  # the append then needs no check that it exists
        for item in uow.pending:
            if item.recorded.stream == stream and item.recorded.version > version:
                state = evolve(state, item.recorded.event)
                version = item.recorded.version
    return state, version


def read_stream(stream: str) -> list[RecordedEvent]:
    """Every event of one stream, oldest first. Every command reads its stream: on PostgreSQL
    the statement is written once, not built by the ORM each time, and no model is made."""
    if connection.vendor != "postgresql":
        return [
            RecordedEvent.from_row(row) for row in Event.objects.filter(stream=stream).order_by("version")
        ]
    return _read_stream_sql(stream)


def read_stream_if(stream: str, condition: tuple[str, Sequence[Any]] | None) -> list[RecordedEvent]:
    """``read_stream``, in the same statement as ``condition`` (a query's SQL and parameters,
    typically one that locks a row): every event of the stream when the condition's query finds a
    row, none when it finds none (or ``condition`` is None, a query that can find nothing). One
    round trip where a lock and the read were two. PostgreSQL only."""
    if condition is None:
        return []
    return _read_stream_sql(stream, only_if=condition)


def read_stream_found_by(
    query: tuple[str, Sequence[Any]],
) -> tuple[tuple[Any, ...], list[RecordedEvent]] | None:
    """The row ``query`` finds (its SQL and parameters; at most one row, whose column ``stream``
    names a stream, typically a row it locks) and every event of that stream, in one statement:
    one round trip where finding the row and reading its stream were two. None when the query
    finds no row. PostgreSQL only.

    The stream is read on the statement's snapshot, taken before the query's lock was granted:
    an event that a transaction committed meanwhile is not read, and the append after it then
    collides with that event (``ConcurrencyConflict``), as after any stale read."""
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        # Materialized: the query runs once, before the log is read, whatever the planner would
        # make of it inlined.
        cursor.execute(
            f"WITH found AS MATERIALIZED ({query[0]}) SELECT found.*, e.event_id, e.stream, e.version, "
            "e.type, e.schema_version, e.data, e.metadata, e.recorded_at, e.position "
            f"FROM found LEFT JOIN {table} e ON e.stream = found.stream ORDER BY e.version",
            query[1],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    found = len(rows[0]) - 9
    events = [row[found:] for row in rows if row[found] is not None]
    return tuple(rows[0][:found]), _recorded_events(events, json.loads)


def _read_stream_sql(stream: str, *, only_if: tuple[str, Sequence[Any]] | None = None) -> list[RecordedEvent]:
    table = connection.ops.quote_name(Event._meta.db_table)
    prefix, where, params = "", "", [stream]
    if only_if is not None:
        # Materialized: the condition runs once, before the log is read, whatever the planner
        # would make of it inlined.
        prefix = f"WITH condition AS MATERIALIZED ({only_if[0]}) "
        where = " AND EXISTS (SELECT FROM condition)"
        params = [*only_if[1], stream]
    with connection.cursor() as cursor:
        cursor.execute(
            f"{prefix}SELECT event_id, stream, version, type, schema_version, data, metadata, recorded_at, "
            f"position FROM {table} WHERE stream = %s{where} ORDER BY version",
            params,
        )
        rows = cursor.fetchall()
    # Django reads jsonb as text (its JSONField decodes it): so does this.
    return _recorded_events(rows, json.loads)


def _recorded_events(rows: Sequence[Sequence[Any]], loads: Callable[[Any], Any]) -> list[RecordedEvent]:
    """Rows of (event_id, stream, version, type, schema_version, data, metadata, recorded_at,
    position) as events, their JSON passed through ``loads``."""
    return [
        RecordedEvent(
            event_id=event_id,
            stream=stream,
            version=version,
            type=type_,
            schema_version=schema_version,
            data=loads(data),
            metadata=loads(metadata),
            recorded_at=recorded_at,
            position=position,
        )
        for event_id, stream, version, type_, schema_version, data, metadata, recorded_at, position in rows
    ]


def read_streams(
    streams: Sequence[str], *, types: Sequence[str] | None = None, using: str = "default"
) -> list[RecordedEvent]:
    """The events of many streams in a few queries (a thousand streams each), each stream's
    together and oldest first, optionally of some types only. Reports use it to read many
    aggregates' histories without a query per stream."""
    found: list[RecordedEvent] = []
    names = list(dict.fromkeys(streams))
    for start in range(0, len(names), INSERT_BATCH):
        query = Event.objects.using(using).filter(stream__in=names[start : start + INSERT_BATCH])
        if types is not None:
            query = query.filter(type__in=list(types))
        found += [RecordedEvent.from_row(row) for row in query.order_by("stream", "version")]
    return found


def head_position() -> int:
    """The last committed position (0 for an empty log)."""
    counter = PositionCounter.objects.filter(pk=1).values_list("position", flat=True).first()
    return counter or 0


def read_after(
    position: int,
    *,
    limit: int = 1000,
    types: Sequence[str] | None = None,
    up_to: int | None = None,
    buckets: Sequence[int] | None = None,
) -> list[RecordedEvent]:
    """Events after ``position`` in order, at most ``limit``, optionally of some types only.

    Every reactor pump and every rebuild reads the log through here: the query is compiled once
    per shape (``compiled_queries``) and its rows become events without a model instance."""
    bound = () if up_to is None else (up_to,)
    rows = _events_after(
        position,
        *bound,
        limit=limit,
        bounded=up_to is not None,
        types=None if types is None else tuple(types),
        buckets=None if buckets is None else tuple(buckets),
    )
    # On PostgreSQL the compiled SQL returns jsonb as text (Django's JSONField decodes it, and
    # the ORM is not in the way here); elsewhere the ORM ran the query and decoded it.
    return _recorded_events(rows, json.loads if connection.vendor == "postgresql" else _as_is)


@compiled
def _events_after(
    position: int,
    *bound: int,
    limit: int,
    bounded: bool,
    types: tuple[str, ...] | None,
    buckets: tuple[int, ...] | None,
) -> QuerySet[Event]:
    query = Event.objects.filter(position__gt=position)
    if bounded:
        query = query.filter(position__lte=bound[0])
    if types is not None:
        query = query.filter(type__in=types)
    if buckets is not None:
        query = query.filter(bucket__in=buckets)
    columns = ("event_id", "stream", "version", "type", "schema_version", "data", "metadata")
    return query.order_by("position").values_list(*columns, "recorded_at", "position")[:limit]


def _as_is(value: T) -> T:
    return value


def iter_all(*, after: int = 0, batch_size: int = 1000) -> Iterator[RecordedEvent]:
    """Every event after ``after``, read in batches so memory stays flat."""
    position = after
    while True:
        batch = read_after(position, limit=batch_size)
        if not batch:
            return
        yield from batch
        position = batch[-1].position or position
