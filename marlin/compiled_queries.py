"""Queries the ORM builds once and PostgreSQL runs many times with new values.

The hot paths of the reactors (a pump's peek, routing a task, the work waiting for one reviewer)
run the same query shapes dozens of times a second. Building a queryset and compiling it to SQL
costs more Python than PostgreSQL spends answering it, so a ``@compiled`` function's queryset is
built and compiled once per *shape* (its keyword arguments: anything that changes the SQL text, such
as a limit or which filters apply); its positional arguments are *values*, sent as parameters.

To find where each value goes, the queryset is first built twice with stand-in values of the same
types (a UUID, an int, a datetime), and a parameter that is a value's stand-in both times is that
value's place. A value the ORM would not pass as a parameter (inlined into the SQL, or changing
it) is refused when the query is first compiled, never run with a wrong value.

Elsewhere than PostgreSQL (the embedded SQLite), where parameters are adapted differently
(UUIDs as hex) and speed is not the point, the queryset is simply built and run each time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

MAX_SHAPES = 1024  # per function; a full cache starts again (shapes come from a bounded set)

Build = Callable[..., QuerySet[Any]]
# A value's place: its parameter's index, the value's position, and the type the backend wraps
# such a parameter in (psycopg's ``Int2`` for a small integer column), or None.
Slot = tuple[int, int, type | None]
# (SQL, or None when the shape can match nothing; the parameters; the values' slots)
Compiled = tuple[str | None, tuple[Any, ...], tuple[Slot, ...]]
Run = Callable[..., list[tuple[Any, ...]]]


class ValueNotAParameter(RuntimeError):
    """A value that the compiled SQL does not carry as a parameter: the query cannot be reused."""


def compiled(build: Build) -> Run:
    """Turn ``build(*values, **shape) -> values_list queryset`` into a function returning its rows."""
    shapes: dict[tuple[Any, ...], Compiled] = {}

    def statement(*values: Any, **shape: Any) -> tuple[str, list[Any]] | None:
        """The SQL and parameters ``run`` would send (PostgreSQL only), for a caller that runs
        it inside a statement of its own; None when the shape matches nothing."""
        key = tuple(sorted(shape.items()))
        entry = shapes.get(key)
        if entry is None:
            if len(shapes) >= MAX_SHAPES:
                shapes.clear()
            entry = shapes[key] = _compile(build, values, shape)
        sql, params, slots = entry
        if sql is None:
            return None  # the ORM found the shape matches nothing (an empty ``__in``)
        filled = list(params)
        for index, position, cast in slots:
            filled[index] = values[position] if cast is None else cast(values[position])
        return sql, filled

    @functools.wraps(build)
    def run(*values: Any, **shape: Any) -> list[tuple[Any, ...]]:
        if connection.vendor != "postgresql":
            return [tuple(row) for row in build(*values, **shape)]
        filled = statement(*values, **shape)
        if filled is None:
            return []
        with connection.cursor() as cursor:
            cursor.execute(*filled)
            return cursor.fetchall()

    run.statement = statement  # type: ignore[attr-defined]
    return run


def _compile(build: Build, values: tuple[Any, ...], shape: dict[str, Any]) -> Compiled:
    """Compile the shape twice with two sets of stand-ins: a parameter is a value's slot when it
    is that value's stand-in both times (a constant of the query equals neither set)."""
    first = _compile_with(build, tuple(_stand_in(v, p, 0) for p, v in enumerate(values)), shape)
    if not values:
        return first[0], tuple(first[1]), ()
    second = _compile_with(build, tuple(_stand_in(v, p, 1) for p, v in enumerate(values)), shape)
    if first[0] != second[0] or len(first[1]) != len(second[1]):
        raise ValueNotAParameter(f"{build.__qualname__}: a value changes the SQL; make it a shape")
    (sql, params_first, stand_ins_first), (_, params_second, stand_ins_second) = first, second
    if sql is None:
        return None, (), ()
    slots = tuple(
        (index, position, None if type(one) is type(mine) else type(one))
        for index, (one, other) in enumerate(zip(params_first, params_second, strict=True))
        for position, (mine, theirs) in enumerate(zip(stand_ins_first, stand_ins_second, strict=True))
        if _same(one, mine) and _same(other, theirs)
    )
    missing = set(range(len(values))) - {position for _, position, _ in slots}
    if missing:
        raise ValueNotAParameter(f"{build.__qualname__}: values {sorted(missing)} are not SQL parameters")
    return sql, tuple(params_first), slots


def _compile_with(
    build: Build, stand_ins: tuple[Any, ...], shape: dict[str, Any]
) -> tuple[str | None, list[Any], tuple[Any, ...]]:
    query = build(*stand_ins, **shape)
    try:
        sql, params = query.query.get_compiler(connection.alias).as_sql()
    except EmptyResultSet:
        return None, [], stand_ins  # the ORM found the shape matches nothing (an empty ``__in``)
    return sql, list(params), stand_ins


def _same(param: Any, stand_in: Any) -> bool:
    """``param`` is ``stand_in``, perhaps wrapped in a subtype by the backend (``Int2(30011)``)."""
    return isinstance(param, type(stand_in)) and not isinstance(param, bool) and param == stand_in


def _stand_in(value: Any, position: int, draw: int) -> Any:
    """A value of ``value``'s type for the ``draw``-th compilation. Small enough for any integer
    column (Django drops a comparison that no value of the column could pass or fail)."""
    if isinstance(value, bool):
        raise ValueNotAParameter("a bool cannot be told apart from other parameters: make it a shape")
    if isinstance(value, int):
        return 30_011 + 100 * draw + position
    if isinstance(value, UUID):
        return UUID(int=(0xC0FFEE << 96) + (draw << 32) + position)
    if isinstance(value, datetime):
        return datetime(2001 + draw, 1, 1 + position, tzinfo=UTC)
    raise ValueNotAParameter(f"no stand-in for a {type(value).__name__}: pass it as a shape")
