"""``COPY`` whole rows into a table on PostgreSQL: a bulk insert without building, sending and
parsing a statement that spells out every value (for thousands of rows of large texts, Django's
multi-row INSERT costs more in Python than the database's own work)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from django.db import connection, models

COPY_FROM = 50  # rows: from this many, a bulk insert is a COPY on PostgreSQL

# COPYs this thread has started. A COPY runs on psycopg's cursor, past Django's execute wrappers:
# whoever watches for writes (``store._watching_writes``) looks here as well.
_copies = threading.local()


def copies_started() -> int:
    return getattr(_copies, "count", 0)


def copy_rows(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
    """``COPY`` whole rows (every concrete column, by attribute name) into the model's table.

    Binary when every column is of a type whose held values can be made exactly its Python type
    (see ``_binary_plan``): the usual case, and the cheap one for large texts. Otherwise text,
    where the server parses whatever each value prints as."""
    fields = list(model._meta.concrete_fields)
    names = [field.attname for field in fields]
    binary_plans = [_binary_plan(field) for field in fields]
    binary = all(plan is not None for plan in binary_plans)
    # (name, the type a value is taken as it is without a call, how any other value is adapted)
    plan = [
        (name, *binary_plan) if binary else (name, None, _copy_adapter(field))
        for name, field, binary_plan in zip(names, fields, binary_plans, strict=True)
    ]
    values = (
        [
            value if adapt is None or type(value) is as_is else adapt(value)
            for name, as_is, adapt in plan
            for value in [row[name]]
        ]
        for row in rows
    )
    copy_values(model, names, values, binary=binary)


def copy_values(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    binary: bool = False,
    json_text: Collection[str] = (),
) -> None:
    """``COPY`` rows of values already in their database form into the named columns (attribute
    names) of the model's table.

    ``json_text``: JSON columns whose values are JSON text already encoded (the event store
    encodes each event once, for its hash and for this): sent as they are, never encoded again.

    ``binary``: COPY's binary format, for callers whose values are each exactly the Python type
    psycopg sends for its column (``UUID``, ``int``, ``Decimal``, timezone-aware ``datetime``,
    ``str``, JSON per ``json_text``). Large texts then go out as they are: the text format
    escapes every tab, newline and backslash of them in the client and the server undoes it.
    """
    fields = {field.attname: field for field in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields[name].column) for name in names)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    if binary:
        sql += " (FORMAT BINARY)"
        rows = _json_text_wrapped(rows, [index for index, name in enumerate(names) if name in json_text])
    _copies.count = copies_started() + 1
    # Errors come out as Django's (IntegrityError...), as from any statement.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        if binary:
            copy.set_types([_type_name(fields[name]) for name in names])
        write = copy.write_row
        for row in rows:
            write(row)


def _json_text_wrapped(rows: Iterable[Sequence[Any]], indexes: list[int]) -> Iterator[Sequence[Any]]:
    """Binary COPY sends a JSON column through psycopg's JSON dumper: JSON text passes through it
    as it is."""
    if not indexes:
        yield from rows
        return
    from psycopg.types.json import Jsonb  # noqa: PLC0415 - only PostgreSQL has psycopg

    for row in rows:
        wrapped = list(row)
        for index in indexes:
            if wrapped[index] is not None:
                wrapped[index] = Jsonb(wrapped[index], dumps=_as_is)
        yield wrapped


def _as_is(text: str) -> str:
    return text


def _type_name(field: models.Field) -> str:
    """The column's PostgreSQL type without its modifiers (``varchar(120)`` is ``varchar``)."""
    return field.db_type(connection).split("(", 1)[0].strip()


def _copy_adapter(field: models.Field) -> Any:
    """How a held value becomes a COPY value: JSON as ``Jsonb``, enum members as their value."""
    if isinstance(field, models.JSONField):
        from psycopg.types.json import Jsonb  # noqa: PLC0415 - only PostgreSQL has psycopg

        return lambda value: None if value is None else Jsonb(value)
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: value.value if isinstance(value, Enum) else value
    return None


# Columns whose values binary COPY takes as exactly this Python type (by Django's internal type).
_BINARY_TYPES: dict[str, type] = {
    "UUIDField": UUID,
    "CharField": str,
    "TextField": str,
    "SmallIntegerField": int,
    "IntegerField": int,
    "BigIntegerField": int,
    "PositiveSmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "SmallAutoField": int,
    "AutoField": int,
    "BigAutoField": int,
    "BooleanField": bool,
    "DecimalField": Decimal,
    "DateTimeField": datetime,
    "DateField": date,
}


def _binary_plan(field: models.Field) -> tuple[type | None, Callable[[Any], Any]] | None:
    """For a column binary COPY is used for (None otherwise): the one type whose values it takes as
    they are, without a call (not a datetime, whose time zone must be checked, nor JSON, always
    wrapped), and how any held value becomes exactly its binary COPY type. A value already of the
    type (nearly all) passes as it is; any other goes through the field's ``get_prep_value``, as a
    save would (a UUID or a datetime as text, a naive datetime made aware, an enum member as its
    value)."""
    if isinstance(field, models.JSONField):
        from psycopg.types.json import Jsonb  # noqa: PLC0415 - only PostgreSQL has psycopg

        return None, lambda value: None if value is None else Jsonb(value)
    target = field.target_field if field.is_relation else field
    expected = _BINARY_TYPES.get(target.get_internal_type())
    if expected is None or field.generated:
        return None
    prepare = target.get_prep_value

    def adapt(value: Any) -> Any:
        if value is None or (type(value) is expected and (expected is not datetime or value.tzinfo)):
            return value
        return prepare(value.value if isinstance(value, Enum) else value)

    return (None if expected is datetime else expected), adapt
