"""When to try a request again, and how long to wait first.

Retried: network errors (no answer, a dropped connection, a timeout), 5xx, 429 and 409
``idempotency_key_in_flight`` (our own earlier attempt, with the same key, is still running on the
server: its answer is what the retry will get). Never retried: any other 4xx, which the same
request would only get again. Every retry of a command reuses its ``Idempotency-Key``, so the
server does it at most once.

The wait doubles from ``base_delay`` up to ``max_delay`` and is drawn at random from its upper half
(jitter: many clients that failed together do not come back together). A ``Retry-After`` the
server sends is honoured as the least wait; one longer than ``max_retry_after`` (a sign-in locked
for 15 minutes) is not waited out: the error is raised for a person to read.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
IN_FLIGHT = "idempotency_key_in_flight"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    random: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based), with jitter."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + self.random() * ceiling / 2

    def delay(self, attempt: int, retry_after: float | None) -> float:
        wait = self.backoff(attempt)
        return max(wait, retry_after) if retry_after is not None else wait


def is_retried_status(status: int, code: str | None) -> bool:
    if status in RETRIED_STATUSES or status >= 500:
        return True
    return status == 409 and code == IN_FLIGHT


def retry_after_seconds(
    response: httpx.Response, *, now: Callable[[], datetime] | None = None
) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None when absent or
    unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
