"""Pay periods are ISO weeks in UTC, written ``2026-W48``. Pure functions, no Django."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from marlin.kernel.errors import InvalidInput

# Matched whole (``fullmatch``): ``$`` would also accept a trailing newline.
PERIOD = re.compile(r"(\d{4})-W(\d{2})")
FIRST_YEAR, LAST_YEAR = 2000, 2999
# For the OpenAPI schema: the shape only (a year without a week 53 still refuses it).
SCHEMA_PATTERN = r"^2[0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-3])$"


def period_of(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def parse_period(text: object, *, field: str = "period") -> str:
    """A valid period string, or InvalidInput naming ``field``."""
    match = PERIOD.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(fields={field: ["must be an ISO week such as 2026-W48"]})
    if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise InvalidInput(fields={field: [f"the year must be {FIRST_YEAR} to {LAST_YEAR}"]})
    try:
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput(fields={field: [f"{text} is not a week of that year"]}) from None
    return text  # type: ignore[return-value]


def period_start(period: str) -> datetime:
    year, week = int(period[:4]), int(period[6:])
    monday = date.fromisocalendar(year, week, 1)
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def period_end(period: str) -> datetime:
    """The first moment after the period (next Monday, 00:00 UTC)."""
    return period_start(period) + timedelta(days=7)


def next_period(period: str) -> str:
    return period_of(period_end(period))


def year_of(period: str) -> str:
    return period[:4]
