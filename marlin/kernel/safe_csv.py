"""CSV that a spreadsheet opens as data: no cell Marlin writes can start a formula.

Every CSV Marlin writes goes through ``csv_lines``. Following OWASP's advice on CSV injection, a
text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with
a leading single quote (``'=HYPERLINK(...)``): spreadsheets show it as text and never evaluate it.

Numbers are told apart by type, not by looking at the text: an ``int``, a ``Decimal`` (the
amount ``Decimal("-280.00")``) or a ``float`` (a benchmark's timing) is written as it is and
stays a number, while the text ``"-280.00"`` is escaped like any other text, since a name could
read that way too. Callers therefore pass their number columns as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


def safe_cell(value: Cell) -> str | int | float | Decimal:
    """The value as a CSV cell: numbers unchanged, ``None`` empty, formula-like text quoted."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object whose ``write`` returns the line, so lines can be streamed."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """RFC 4180 lines (CRLF ends, quoted where needed), one per row, every cell made safe."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])
