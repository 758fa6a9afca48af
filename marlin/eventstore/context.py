"""Who and what caused the events being appended: request, correlation and causation ids.

The API middleware sets the request id; reactors set the causation id to the event they react
to and carry its correlation id on, so one user action can be followed through every reaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Causation:
    request_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


_NO_CAUSATION = Causation()
_current: ContextVar[Causation] = ContextVar("marlin_causation", default=_NO_CAUSATION)


def current() -> Causation:
    return _current.get()


@contextmanager
def caused_by(**changes: str | None) -> Iterator[Causation]:
    """Set causation fields for the block (``request_id``, ``correlation_id``, ``causation_id``)."""
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex
