"""``COPY`` whole rows into a table on PostgreSQL: a bulk insert without building, sending and
parsing a statement that spells out every value (for thousands of rows of large texts, Django's
multi-row INSERT costs more in Python than the database's own work)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


def copy_values(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``COPY`` rows of values already in their database form into the named columns (attribute
    names) of the model's table. A JSON column takes its text as a ``str``: a caller that has
    encoded it already (the event store, for the hash chain) sends it without encoding it again,
    since COPY's text format hands the server each value as text to parse."""
    quote = connection.ops.quote_name
    column_of = {field.attname: field.column for field in model._meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in names)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    # Errors come out as Django's (IntegrityError...), as from any statement.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def _copy_adapter(field: models.Field) -> Any:
    """How a held value becomes a COPY value: JSON as ``Jsonb``, enum members as their value."""
    if isinstance(field, models.JSONField):
        from psycopg.types.json import Jsonb  # noqa: PLC0415 - only PostgreSQL has psycopg

        return lambda value: None if value is None else Jsonb(value)
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: value.value if isinstance(value, Enum) else value
    return None
