"""The one error hierarchy of Marlin.

Commands and deciders raise these; the API layer maps each class once to an HTTP status and a
stable machine-readable code (see ``marlin/api/errors.py``). Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _messages(value: Any) -> Any:
    """A field's messages as a list, or nested per sub-field for nested input."""
    if isinstance(value, Mapping):
        return {str(key): _messages(item) for key, item in value.items()}
    if isinstance(value, str):
        return [value]
    return list(value)


class DomainError(Exception):
    """Base of every refusal a command can give. ``code`` is stable and documented; ``details``
    is optional machine-readable context (JSON values: the task a ``claim_held`` refers to, the
    skills a ``missing_skill`` lacks, the rule a refused reassignment broke)."""

    code = "domain_error"

    def __init__(
        self, message: str, *, code: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """The command's input is malformed; ``fields`` maps field names to messages, nested like
    the input for nested fields (HTTP 400)."""

    code = "invalid"

    def __init__(
        self,
        message: str = "Invalid input.",
        *,
        fields: Mapping[str, Any] | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.fields = {name: _messages(value) for name, value in (fields or {}).items()}


class NotAllowed(DomainError):
    """The caller may not do this (HTTP 403)."""

    code = "not_allowed"


class NotFound(DomainError):
    """The thing does not exist, or is not the caller's to see (HTTP 404)."""

    code = "not_found"


class Conflict(DomainError):
    """The command does not fit the current state (HTTP 409)."""

    code = "conflict"


class ConcurrencyConflict(Conflict):
    """Another command changed the stream first: the expected version is stale (HTTP 409)."""

    code = "concurrent_update"
