"""The one error shape of the API, and the single place exceptions become HTTP responses.

Every error, from any endpoint, looks like::

    {"error": {"status": 409, "code": "conflict", "message": "...", "fields": {}, "request_id": "..."}}

``code`` is stable and machine-readable (the README lists them); ``fields`` maps each offending
input field to its messages (nested for nested input) and is empty when no field is to blame.
A refusal with machine-readable context adds ``details`` (e.g. ``{"task": "<uuid>"}`` for
``claim_held``); without context the key is left out, so the shape above is unchanged.
Unexpected errors are logged with the request id and answered with a generic 500 that leaks
nothing.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import redis
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import exceptions as drf
from rest_framework.response import Response

from marlin.api.middleware import request_id_of
from marlin.eventstore.store import lost_a_race
from marlin.kernel import errors as domain

log = logging.getLogger("marlin.api")


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was used before with a different request (HTTP 422)."""


class IdempotencyInFlight(Exception):
    """A request with this Idempotency-Key is still running (HTTP 409)."""


class InvalidIdempotencyKey(Exception):
    """The Idempotency-Key header is not a usable key (HTTP 400)."""


TOO_LARGE = "The request body is larger than this server accepts (MARLIN_MAX_REQUEST_BYTES)."
OUTAGE_RETRY_AFTER_SECONDS = 5  # a restart of PostgreSQL or Redis takes a few seconds

_DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.InvalidInput, 400),
    (domain.NotAllowed, 403),
    (domain.NotFound, 404),
    (domain.Conflict, 409),
]

_DRF_CODES: dict[type[drf.APIException], str] = {
    drf.ParseError: "malformed_request",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "not_allowed",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "throttled",
}


def error_body(
    status: int,
    code: str,
    message: str,
    *,
    fields: Any = None,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    error = {
        "status": status,
        "code": code,
        "message": message,
        "fields": fields or {},
        "request_id": request_id,
    }
    if details:
        error["details"] = details
    return {"error": error}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception in a DRF view ends here."""
    request = context.get("request")
    request_id = request_id_of(request)
    status, code, message, fields, headers = _describe(exc, request_id)
    details = exc.details if isinstance(exc, domain.DomainError) else None
    response = Response(
        error_body(status, code, message, fields=fields, request_id=request_id, details=details),
        status=status,
    )
    for name, value in headers.items():
        response[name] = value
    if code == "service_unavailable":
        _log_outage(response, exc, request_id)
    return response


def _log_outage(response: Any, exc: BaseException, request_id: str | None) -> None:
    """An outage is logged once per request as a warning naming the failure, not as a bug (an
    ERROR with a traceback, Django's default for any 5xx): during a restart of PostgreSQL every
    request in flight meets it, and the log should say "database down", not bury it."""
    log.warning("outage (request %s): %s: %s", request_id, type(exc).__name__, str(exc).strip()[:300])
    response._has_been_logged = True  # Django's own "Service Unavailable" ERROR line is skipped


Described = tuple[int, str, str, Any, dict[str, str]]  # status, code, message, fields, headers


def _describe(exc: Exception, request_id: str | None) -> Described:
    for describe in (_describe_ours, _describe_drf, _describe_django, _describe_database, _outage):
        described = describe(exc)
        if described is not None:
            return described
    log.exception("unexpected error (request %s)", request_id, exc_info=exc)
    return 500, "server_error", "An unexpected error occurred; it has been logged.", {}, {}


def _describe_ours(exc: Exception) -> Described | None:
    if isinstance(exc, domain.DomainError):
        status = next((code for cls, code in _DOMAIN_STATUS if isinstance(exc, cls)), 409)
        fields = exc.fields if isinstance(exc, domain.InvalidInput) else {}
        return status, exc.code, exc.message, fields, {}
    if isinstance(exc, IdempotencyKeyReused):
        return 422, "idempotency_key_reused", str(exc), {}, {}
    if isinstance(exc, IdempotencyInFlight):
        return 409, "idempotency_key_in_flight", str(exc), {}, {}
    if isinstance(exc, InvalidIdempotencyKey):
        return 400, "invalid_idempotency_key", str(exc), {"Idempotency-Key": [str(exc)]}, {}
    return None


def _describe_drf(exc: Exception) -> Described | None:
    if isinstance(exc, drf.ValidationError):
        return 400, "invalid", "Invalid input.", _field_errors(exc.detail), {}
    if not isinstance(exc, drf.APIException):
        return None
    code = getattr(exc, "error_code", None) or next(
        (c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error"
    )
    headers = {}
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(int(exc.wait), 1))  # DRF rounds the wait up already
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        headers["WWW-Authenticate"] = "Token"
    return exc.status_code, code, _text(exc.detail), {}, headers


def _describe_django(exc: Exception) -> Described | None:
    if isinstance(exc, Http404):
        return 404, "not_found", "Not found.", {}, {}
    if isinstance(exc, DjangoPermissionDenied):
        return 403, "not_allowed", "You do not have permission to perform this action.", {}, {}
    if isinstance(exc, RequestDataTooBig):
        return 413, "request_too_large", TOO_LARGE, {}, {}
    if isinstance(exc, SuspiciousOperation):
        return 400, "bad_request", "The request could not be understood.", {}, {}
    return None


def _describe_database(exc: Exception) -> Described | None:
    if isinstance(exc, OverflowError | DataError):
        # A number or date the database cannot hold reached a query: the input was out of range.
        return 400, "out_of_range", "A value in the request cannot be stored: it is out of range.", {}, {}
    if not isinstance(exc, OperationalError):
        return None
    if lost_a_race(exc):  # twice in a row: the command already ran once more
        return 409, "concurrent_update", "Another request changed the same data at once; retry.", {}, {}
    if "database is locked" in str(exc):
        return 503, "database_busy", "The database is busy; retry shortly.", {}, {"Retry-After": "1"}
    return _outage(exc)


def _outage(exc: BaseException) -> Described | None:
    """The database, or the Redis the API counts on (throttles, wake-ups), cannot be reached:
    refused, dropped mid-request, shutting down. Nothing the client sent caused it, and a retry
    with the same ``Idempotency-Key`` has one effect at most (a command commits whole or not at
    all), so the answer says when to try again instead of reporting a bug."""
    if isinstance(exc, OperationalError | InterfaceError):
        dependency = "The database"
    elif isinstance(exc, redis.ConnectionError | redis.TimeoutError | BrokerError):
        dependency = "The broker"
    else:
        return None
    message = f"{dependency} is unavailable; retry shortly."
    return 503, "service_unavailable", message, {}, {"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)}


def _field_errors(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [str(item) for item in detail]
        return [_field_errors(item) for item in detail]
    return [str(detail)]


def _text(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(str(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {value}" for key, value in detail.items())
    return str(detail)


# --- Django-level handlers, for errors outside DRF views (unknown paths, CSRF, oversize bodies) ---


def _json_error(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, code, message, request_id=request_id_of(request)), status=status)


def request_too_large(request: HttpRequest) -> JsonResponse:
    return _json_error(request, 413, "request_too_large", TOO_LARGE)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    return _json_error(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(request, 403, "not_allowed", "You do not have permission to perform this action.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(request, 404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's answer to an exception outside the API's views (a middleware reading the session
    or the lockout table, a page): an outage is a 503 there too, anything else a logged 500."""
    error = sys.exc_info()[1] or Exception()
    outage = _outage(error)
    if outage is not None:
        status, code, message, _, headers = outage
        response = _json_error(request, status, code, message)
        for name, value in headers.items():
            response[name] = value
        _log_outage(response, error, request_id_of(request))
        return response
    return _json_error(request, 500, "server_error", "An unexpected error occurred; it has been logged.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return _json_error(request, 403, "csrf_failed", f"CSRF check failed: {reason}")
