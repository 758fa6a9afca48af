"""``COPY`` whole rows into a table on PostgreSQL: a bulk insert without building, sending and
parsing a statement that spells out every value (for thousands of rows of large texts, Django's
multi-row INSERT costs more in Python than the database's own work)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any

from django.db import connection, models

COPY_FROM = 50  # rows: from this many, a bulk insert is a COPY on PostgreSQL


def copy_rows(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
    """``COPY`` whole rows (every concrete column, by attribute name) into the model's table."""
    fields = list(model._meta.concrete_fields)
    names = [field.attname for field in fields]
    plan = [(field.attname, _copy_adapter(field)) for field in fields]
    values = ([row[name] if adapt is None else adapt(row[name]) for name, adapt in plan] for row in rows)
    copy_values(model, names, values)


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
