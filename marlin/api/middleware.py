"""Every request gets an id: echoed in ``X-Request-ID``, stamped on log lines, error bodies and
the metadata of every event the request appends."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from marlin.eventstore import context

# Matched whole: an id with a trailing newline would break the response header it is echoed in.
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_log_request_id: ContextVar[str] = ContextVar("marlin_log_request_id", default="-")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.fullmatch(incoming) else context.new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _log_request_id.set(request_id)
        try:
            with context.caused_by(request_id=request_id, correlation_id=request_id, causation_id=None):
                response = self.get_response(request)
        finally:
            _log_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Stamps ``request_id`` on every record: the request's own when the record carries it
    (``django.request`` logs a 4xx answer with the request in ``extra`` only after every
    middleware has returned, when the context variable is reset), else the one of the request
    being handled, else ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_of(getattr(record, "request", None)) or _log_request_id.get()
        return True


def request_id_of(request: object) -> str | None:
    return getattr(request, "request_id", None) or getattr(
        getattr(request, "_request", None), "request_id", None
    )
