"""The one clock of Marlin.

Every command, decider input and projection takes time from here, never from ``datetime.now``
directly, so tests can pin or advance time. Times are always timezone-aware UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_pinned = threading.local()


def now() -> datetime:
    """The current time in UTC (pinned in tests, real otherwise)."""
    pinned = getattr(_pinned, "at", None)
    if pinned is not None:
        return pinned
    return datetime.now(UTC)


@contextmanager
def pinned_at(moment: datetime) -> Iterator[None]:
    """Pin the clock of the current thread to ``moment`` for the block."""
    if moment.tzinfo is None:
        raise ValueError("pinned_at needs a timezone-aware datetime")
    previous = getattr(_pinned, "at", None)
    _pinned.at = moment.astimezone(UTC)
    try:
        yield
    finally:
        _pinned.at = previous


def ago(**delta: float) -> datetime:
    """``now()`` minus a ``timedelta(**delta)``; reads better in queries and tests."""
    return now() - timedelta(**delta)
