"""Model instances from rows of statements written once (the hot paths' own SQL), converted
field by field as Django's compiler converts a queryset's rows, without building a queryset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, models

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class ModelColumns:
    """One model's concrete columns in a row: where they start, their attribute names, and each
    one's converters (the backend's and the field's, as Django's compiler applies them)."""

    model: type[models.Model]
    start: int
    names: tuple[str, ...]
    converters: tuple[tuple[Any, tuple[Callable[..., Any], ...]], ...]

    @classmethod
    def of(cls, model: type[models.Model], alias: str, start: int = 0) -> ModelColumns:
        """The columns as ``alias.<column>`` select them, from the row's ``start``th value."""
        fields = model._meta.concrete_fields
        converters = []
        for field in fields:
            column = field.get_col(alias)
            converters.append(
                (column, (*connection.ops.get_db_converters(column), *column.get_db_converters(connection)))
            )
        return cls(model, start, tuple(field.attname for field in fields), tuple(converters))

    def select_list(self, alias: str) -> str:
        """``alias."column", ...`` in the order ``read`` expects them."""
        quote = connection.ops.quote_name
        return ", ".join(f"{alias}.{quote(field.column)}" for field in self.model._meta.concrete_fields)

    def read(self, row: Sequence[Any]) -> list[Any]:
        values = []
        for stored, (column, converters) in zip(row[self.start :], self.converters, strict=False):
            value = stored
            for convert in converters:
                value = convert(value, column, connection)
            values.append(value)
        return values

    def instance(self, row: Sequence[Any]) -> Any:
        """The model instance of the row, as a queryset would have loaded it."""
        return self.model.from_db(DEFAULT_DB_ALIAS, self.names, self.read(row))
