"""Projectors: they turn events into read tables, and only that.

A projector subscribes to event types and owns some tables. Live, the event store applies every
event to its projectors inside the command's transaction (a command's response can read its own
writes). ``rebuild`` empties every owned table and replays the whole log; the result equals the
live tables row for row, which ``verify_events`` and the tests check. Projectors therefore never
decide anything and never read the clock: every value comes from the event or its envelope.

A projector whose handlers write only through ``rows(Model)`` (``marlin.projection_rows``) says so
with ``in_memory=True``: a rebuild then folds its tables in memory and writes each once at the end,
instead of a few statements per event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models, transaction

from marlin.eventstore.models import PositionCounter
from marlin.eventstore.store import iter_all
from marlin.projection_rows import Increment, held_in_memory, rows, writes_together

__all__ = [
    "Increment",
    "Projector",
    "RebuildResult",
    "apply_many",
    "compare_with_rebuild",
    "owned_tables",
    "rebuild",
    "register",
    "registered",
    "rows",
    "table_digest",
    "table_rows",
]
from marlin.kernel.events import DomainEvent

E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any, Any], None]
BatchHandler = Callable[[Sequence[tuple[Any, Any]]], None]


class Projector:
    """A named set of event handlers and the tables they write.

    ``on`` registers a handler for one event at a time; ``on_many`` one that takes a run of
    events of the same type at once (a bulk insert), used by bulk appends and by rebuilds. A
    projector's handlers must not depend on another projector's writes for the same run.
    """

    def __init__(self, name: str, *, tables: Sequence[type[models.Model]], in_memory: bool = False) -> None:
        self.name = name
        self.tables = tuple(tables)
        self.in_memory = in_memory
        self.handlers: dict[str, Handler] = {}
        self.batch_handlers: dict[str, BatchHandler] = {}

    def on(self, *event_classes: type[DomainEvent]) -> Callable[[Handler], Handler]:
        def decorator(function: Handler) -> Handler:
            for event_class in event_classes:
                self._check_new(event_class.type_name)
                self.handlers[event_class.type_name] = function
            return function

        return decorator

    def on_many(self, *event_classes: type[DomainEvent]) -> Callable[[BatchHandler], BatchHandler]:
        def decorator(function: BatchHandler) -> BatchHandler:
            for event_class in event_classes:
                self._check_new(event_class.type_name)
                self.batch_handlers[event_class.type_name] = function
            return function

        return decorator

    def handles(self, type_name: str) -> bool:
        return type_name in self.handlers or type_name in self.batch_handlers

    def apply(self, type_name: str, run: Sequence[tuple[DomainEvent, Any]]) -> None:
        """Apply a run of events, all of type ``type_name``, in order."""
        batch = self.batch_handlers.get(type_name)
        if batch is not None:
            batch(run)
            return
        handler = self.handlers[type_name]
        for domain_event, recorded in run:
            handler(domain_event, recorded)

    def _check_new(self, type_name: str) -> None:
        if self.handles(type_name):
            raise ValueError(f"{self.name} handles {type_name} twice")

    def reset(self) -> None:
        """Empty the tables this projector owns.

        Plain DELETEs (foreign keys between projections are deferred to commit), not the ORM's
        cascading delete, which would read every row first.
        """
        with connection.cursor() as cursor:
            for model in reversed(self.tables):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


_registry: list[Projector] = []


def register(projector: Projector) -> Projector:
    if any(existing.name == projector.name for existing in _registry):
        raise ValueError(f"projector {projector.name!r} is registered twice")
    _registry.append(projector)
    return projector


def registered() -> tuple[Projector, ...]:
    return tuple(_registry)


def owned_tables() -> list[type[models.Model]]:
    return [model for projector in _registry for model in projector.tables]


def apply_many(items: Sequence[tuple[DomainEvent, Any]]) -> None:
    """Apply events in order, handing each run of one type to the projectors at once. Their
    row-store writes go out together (``writes_together``): a decision's eight become two."""
    with writes_together():
        for type_name, run in _runs_of_one_type(items):
            for projector in _registry:
                if projector.handles(type_name):
                    projector.apply(type_name, run)


def _runs_of_one_type(items: Sequence[tuple[DomainEvent, Any]]) -> Iterable[tuple[str, list[Any]]]:
    run: list[tuple[DomainEvent, Any]] = []
    for item in items:
        if run and item[1].type != run[0][1].type:
            yield run[0][1].type, run
            run = []
        run.append(item)
    if run:
        yield run[0][1].type, run


@dataclass(frozen=True)
class RebuildResult:
    events: int
    tables: tuple[str, ...]


def rebuild(*, progress: Callable[[int], None] | None = None, batch_size: int = 2000) -> RebuildResult:
    """Empty every projection table and replay the whole log, in one transaction.

    Readers keep seeing the old rows until the commit (rows are deleted, not truncated); writers
    wait: the tables are locked first, then the position counter, the same order commands take.
    """
    with transaction.atomic(durable=True):
        _lock_for_replay()
        count = _reset_and_replay(batch_size, progress)
    return RebuildResult(count, tuple(model._meta.db_table for model in owned_tables()))


def _reset_and_replay(batch_size: int, progress: Callable[[int], None] | None) -> int:
    for projector in reversed(_registry):
        projector.reset()
    in_memory = [model for projector in _registry if projector.in_memory for model in projector.tables]
    with held_in_memory(in_memory) as memory:
        count = _replay(iter_all(batch_size=batch_size), batch_size, progress)
    for table in memory.values():
        table.flush()
    return count


def _replay(events: Iterable[Any], batch_size: int, progress: Callable[[int], None] | None = None) -> int:
    count = 0
    batch: list[tuple[DomainEvent, Any]] = []
    for recorded in events:
        batch.append((recorded.event, recorded))
        if len(batch) >= batch_size:
            apply_many(batch)
            count += len(batch)
            if progress is not None:
                progress(len(batch))
            batch = []
    apply_many(batch)
    if progress is not None and batch:
        progress(len(batch))
    return count + len(batch)


def compare_with_rebuild() -> dict[str, tuple[str, str]]:
    """Rebuild inside a transaction that is rolled back; return tables whose content differs.

    The value per differing table is (live digest, rebuilt digest). An empty dict means every
    projection equals a replay of the log.
    """
    differences: dict[str, tuple[str, str]] = {}
    with transaction.atomic(durable=True):
        _lock_for_replay()
        live = {model._meta.db_table: table_digest(model) for model in owned_tables()}
        _reset_and_replay(2000, None)
        for model in owned_tables():
            rebuilt = table_digest(model)
            if rebuilt != live[model._meta.db_table]:
                differences[model._meta.db_table] = (live[model._meta.db_table], rebuilt)
        transaction.set_rollback(True)
    return differences


def _lock_for_replay() -> None:
    tables = [model._meta.db_table for model in owned_tables()]
    if connection.vendor == "postgresql" and tables:
        quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {quoted} IN EXCLUSIVE MODE")
    PositionCounter.objects.bulk_create([PositionCounter(pk=1)], ignore_conflicts=True)
    PositionCounter.objects.select_for_update().get(pk=1)


def table_rows(model: type[models.Model]) -> Iterable[tuple[Any, ...]]:
    """Every row of a table as a tuple of canonical values, ordered by primary key."""
    columns = [field.attname for field in model._meta.concrete_fields]
    query = model._base_manager.order_by("pk").values_list(*columns)
    for row in query.iterator(chunk_size=2000):
        yield tuple(_canonical(value) for value in row)


def table_digest(model: type[models.Model]) -> str:
    digest = hashlib.sha256()
    for row in table_rows(model):
        digest.update(repr(row).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value
