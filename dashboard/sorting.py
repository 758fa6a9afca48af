"""Sortable tables on the pages: a whitelist of columns, read from ``?sort=`` and turned into SQL.

``?sort=key`` sorts by a column ascending, ``?sort=-key`` descending; anything not in the whitelist
falls back to the table's default, so a hand-edited URL can never order by an arbitrary field.
Rows without a figure (no decisions yet: no approval rate) go last in either direction, and a tie
breaker keeps the order total, so paging never shows a row twice or skips one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Expression, F, OrderBy

SortTerm = str | Expression


@dataclass(frozen=True)
class Column:
    """A column of a table. ``terms`` are what it sorts by (annotation or field names, or
    expressions), all in the same direction; a column without terms is not sortable. A numeric
    column is right-aligned and sorts highest first on the first click."""

    key: str
    label: str
    terms: tuple[SortTerm, ...] = ()
    numeric: bool = False

    @property
    def sortable(self) -> bool:
        return bool(self.terms)


@dataclass(frozen=True)
class Header:
    """What a column's header shows: its label, the ``sort`` value its link asks for (``None``:
    not sortable), and whether the table is sorted by it now and which way."""

    label: str
    sort: str | None
    sorted: bool
    ascending: bool
    numeric: bool


@dataclass(frozen=True)
class Sorting:
    columns: tuple[Column, ...]
    key: str
    descending: bool
    tie_breaker: tuple[SortTerm, ...]

    @property
    def param(self) -> str:
        """The ``?sort=`` value that asks for this order."""
        return f"-{self.key}" if self.descending else self.key

    def order_by(self) -> list[OrderBy]:
        """The ORDER BY terms: the column's, then the tie breaker (always ascending)."""
        column = next(c for c in self.columns if c.key == self.key)
        terms = [_expression(t) for t in column.terms]
        ordered = [t.desc(nulls_last=True) if self.descending else t.asc(nulls_last=True) for t in terms]
        return ordered + [_expression(t).asc() for t in self.tie_breaker]

    def headers(self) -> list[Header]:
        """One header per column; a header's link toggles the direction of the current column and
        sorts any other in its natural first direction."""
        return [self._header(column) for column in self.columns]

    def _header(self, column: Column) -> Header:
        current = column.key == self.key
        if not column.sortable:
            sort = None
        elif current:
            sort = column.key if self.descending else f"-{column.key}"
        else:
            sort = f"-{column.key}" if column.numeric else column.key
        return Header(column.label, sort, current, current and not self.descending, column.numeric)


def sorting_from(
    param: str | None,
    columns: Sequence[Column],
    *,
    default: str,
    tie_breaker: tuple[SortTerm, ...] = ("username", "pk"),
) -> Sorting:
    """The order ``?sort=`` asks for, if it names a sortable column; otherwise ``default`` (itself a
    ``?sort=`` value)."""
    by_key = {c.key: c for c in columns if c.sortable}
    for asked in (param or "", default):
        key = asked.removeprefix("-")
        if key in by_key:
            return Sorting(tuple(columns), key, asked.startswith("-"), tie_breaker)
    raise ValueError(f"the default sort {default!r} names no sortable column")


def _expression(term: SortTerm) -> Expression:
    return F(term) if isinstance(term, str) else term
