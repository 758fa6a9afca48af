"""No CSV cell Marlin writes can start a spreadsheet formula; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from marlin.kernel.safe_csv import csv_lines, safe_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1+1", "-280.00", "=", "-"],
)
def test_text_that_would_start_a_formula_gets_a_leading_quote(text) -> None:
    assert safe_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", ["Ada Lovelace", "", "a=b", "1+1", " =1", "'quoted", "ümlaut"])
def test_other_text_is_written_as_it_is(text) -> None:
    assert safe_cell(text) == text


@pytest.mark.parametrize("number", [Decimal("-280.00"), Decimal("280.00"), -3, 0, 12, -1.5])
def test_numbers_are_never_escaped(number) -> None:
    assert safe_cell(number) == number


def test_none_is_an_empty_cell() -> None:
    assert safe_cell(None) == ""


def test_lines_are_rfc_4180_and_read_back_with_text_quoted_and_numbers_intact() -> None:
    rows = [["name", "net"], ['=HYPERLINK("http://x","y")', Decimal("-280.00")], ["Jo, Jr.", 7]]

    text = "".join(csv_lines(rows))

    assert text.count("\r\n") == 3
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["name", "net"],
        ['\'=HYPERLINK("http://x","y")', "-280.00"],
        ["Jo, Jr.", "7"],
    ]
