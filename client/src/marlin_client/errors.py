"""What can go wrong talking to Marlin, as exceptions that say it plainly.

Every API error has one JSON shape (README "Errors")::

    {"error": {"status": 409, "code": "claim_held", "message": "...", "fields": {},
               "details": {"task": "..."}, "request_id": "..."}}

``ApiError`` carries each part of it, so a caller can branch on ``code`` and a person can quote the
``request_id`` to whoever reads the server's logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx


class MarlinError(Exception):
    """Anything this client refuses or cannot do."""


class NotSignedIn(MarlinError):
    """No token for this server: sign in first (``marlin login``)."""


class ConnectionFailed(MarlinError):
    """The server could not be reached, or stopped answering, on every attempt."""

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class ApiError(MarlinError):
    """The API answered with an error: its status, stable code, message, offending fields,
    machine-readable details and the request id the server logged it under."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        fields: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.details = details or {}
        self.request_id = request_id
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, response: httpx.Response, *, retry_after: float | None = None) -> ApiError:
        """Read the API's error shape; an answer without it (a proxy's HTML page, an empty 502)
        still becomes an error with the status and the request id header, if any."""
        request_id = response.headers.get("X-Request-ID")
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(
                status=response.status_code,
                code=f"http_{response.status_code}",
                message=response.reason_phrase or "the server answered with an error",
                request_id=request_id,
                retry_after=retry_after,
            )
        fields = error.get("fields")
        details = error.get("details")
        return cls(
            status=int(error.get("status") or response.status_code),
            code=str(error.get("code") or f"http_{response.status_code}"),
            message=str(error.get("message") or response.reason_phrase),
            fields=fields if isinstance(fields, dict) else {"non_field_errors": fields} if fields else {},
            details=details if isinstance(details, dict) else {},
            request_id=error.get("request_id") or request_id,
            retry_after=retry_after,
        )

    def field_messages(self) -> list[tuple[str, str]]:
        """Each offending field as a dotted path with one message, e.g.
        ``("scores.correctness.a", "must be at most 5")``."""
        return list(flatten_messages(self.fields))


def flatten_messages(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Nested field errors (``{"scores": {"x": {"a": ["..."]}}}``) as ``(path, message)`` pairs."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten_messages(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        for message in value:
            yield path, message
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from flatten_messages(inner, f"{path}[{index}]")
    else:
        yield path, str(value)
