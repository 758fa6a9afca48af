"""``COPY`` whole rows into a table on PostgreSQL: a bulk insert without building, sending and
parsing a statement that spells out every value (for thousands of rows of large texts, Django's
multi-row INSERT costs more in Python than the database's own work)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from django.db import connection, models

COPY_FROM = 50  # rows: from this many, a bulk insert is a COPY on PostgreSQL


def copy_rows(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
    """``COPY`` whole rows (every concrete column, by attribute name) into the model's table."""
    fields = list(model._meta.concrete_fields)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    names = [field.attname for field in fields]
    adapters = [_copy_adapter(field) for field in fields]
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    # Errors come out as Django's (IntegrityError...), as from any statement.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    row[name] if adapt is None else adapt(row[name])
                    for name, adapt in zip(names, adapters, strict=True)
                ]
            )


def _copy_adapter(field: models.Field) -> Any:
    """How a held value becomes a COPY value: JSON as ``Jsonb``, enum members as their value."""
    if isinstance(field, models.JSONField):
        from psycopg.types.json import Jsonb  # noqa: PLC0415 - only PostgreSQL has psycopg

        return lambda value: None if value is None else Jsonb(value)
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: value.value if isinstance(value, Enum) else value
    return None
