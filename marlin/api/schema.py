"""The OpenAPI schema tells the truth about errors: each operation lists every error status it can
answer, all in the one error shape (``ErrorOutput``, see ``marlin.api.errors``).

The statuses are derived from the view, once, here (``MarlinAutoSchema``, the project's
``DEFAULT_SCHEMA_CLASS``), so a new view is documented as soon as it exists:

- 400 input: a request body, a query parameter, or an ``Idempotency-Key`` a command reads;
- 401 credentials: the view authenticates (a bad token is refused even where anyone may read);
- 403 refusal: a role permission (which the commands' own rules, ``NotAllowed``, sit behind), or
  the CSRF check a signed-in browser session gets on a write;
- 404 not there or not yours: a path parameter, a page or cursor, ``?format=``, or a lookup (a
  required UUID in the query, a UUID in the body);
- 409 state: commands (``CommandApiView``, and every PATCH/PUT/DELETE), which the current state
  may refuse or a concurrent request may beat, and a key still in flight;
- 413 too large and 415 unsupported media type: request bodies;
- 422 an ``Idempotency-Key`` reused with another body: commands;
- 429 throttled, with ``Retry-After``: every view with throttles (all, by default; sign-in also
  locks out);
- 503 ``service_unavailable``, with ``Retry-After``: every operation (an outage, a busy database).

A status a view declares itself (``@extend_schema(responses=...)``) is kept as it is. Undeclared
methods are answered 405 with ``Allow``; the operations that exist never answer it, so none lists it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import AllowAny, IsAuthenticated

from marlin.api import idempotency
from marlin.api.base import CommandApiView
from marlin.api.serializers import ErrorOutput

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (code `invalid` and others): `fields` names each offending field.",
    "401": "No credentials, or credentials that are not (or no longer) valid.",
    "403": "Not allowed: the role, the person's relation to the object, or the rules refuse it.",
    "404": "Not there, or not yours to see.",
    "409": "The command does not fit the current state, lost a race, or its Idempotency-Key is "
    "still in flight.",
    "413": "The request body is larger than MARLIN_MAX_REQUEST_BYTES (`request_too_large`).",
    "415": "The body's media type is not one this operation reads (`unsupported_media_type`).",
    "422": "The Idempotency-Key was used before with a different request (`idempotency_key_reused`).",
    "429": "Throttled, or sign-in locked after failures: retry after `Retry-After` seconds.",
    "503": "The service is unavailable for a moment (database or broker): retry after `Retry-After` seconds.",
}

RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
RESPONSE_HEADERS = {
    "401": {"WWW-Authenticate": {"description": "The scheme to sign in with.", "schema": {"type": "string"}}},
    "429": {"Retry-After": RETRY_AFTER},
    "503": {"Retry-After": RETRY_AFTER},
}


class MarlinAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error statuses each operation can answer and the
    ``Idempotency-Key`` header of commands."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._is_command():
            parameters.append(
                OpenApiParameter(
                    idempotency.HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="Makes a retry safe: the same key with the same request answers the "
                    "stored response and records nothing new (kept 24 h, scoped to the caller). "
                    f"1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters.",
                    pattern=idempotency.HEADER_PATTERN,
                )
            )
        return parameters

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["schema"] = _or_empty(parameter["schema"])
        responses = operation["responses"]
        for status in sorted(self.error_statuses(operation)):
            responses.setdefault(status, self._error_response(status))
        return operation

    # --- what can go wrong, from what the view is -------------------------------------------

    def error_statuses(self, operation: dict[str, Any]) -> set[str]:
        statuses = {"503"}
        has_body = "requestBody" in operation
        query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        if has_body or query or self._is_command():
            statuses.add("400")
        if self.view.get_authenticators():
            statuses.add("401")
        if self._refuses():
            statuses.add("403")
        if self._looks_up(operation, query):
            statuses.add("404")
        if self._is_command() or self.method in WRITES - {"POST"}:
            statuses.add("409")
        if self.method in WRITES:
            statuses.add("413")
        if has_body:
            statuses.add("415")
        if self._is_command() and self.method == "POST":
            statuses.add("422")
        if self.view.get_throttles():
            statuses.add("429")
        return statuses

    def _is_command(self) -> bool:
        return isinstance(self.view, CommandApiView) and self.method in WRITES

    def _refuses(self) -> bool:
        harmless = (AllowAny, IsAuthenticated)
        if any(not isinstance(p, harmless) for p in self.view.get_permissions()):
            return True
        csrf = any(isinstance(a, SessionAuthentication) for a in self.view.get_authenticators())
        return csrf and self.method in WRITES

    def _looks_up(self, operation: dict[str, Any], query: list[dict[str, Any]]) -> bool:
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            return True
        paginated = isinstance(self.view, ListModelMixin) and getattr(self.view, "paginator", None)
        if self.method == "GET" and paginated:
            return True  # a page or cursor that is not there
        names = {p["name"] for p in query}
        if settings.REST_FRAMEWORK.get("URL_FORMAT_OVERRIDE", "format") in names:
            return True  # a format no renderer offers
        if any(p.get("required") and _is_uuid(p.get("schema", {})) for p in query):
            return True
        body = force_instance(self.get_request_serializer()) if self.method in WRITES else None
        fields = body.fields.values() if isinstance(body, serializers.Serializer) else []
        return any(isinstance(field, serializers.UUIDField) for field in fields)

    def _error_response(self, status: str) -> dict[str, Any]:
        response: dict[str, Any] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": self.resolve_serializer(ErrorOutput, "response").ref}},
        }
        if status in RESPONSE_HEADERS:
            response["headers"] = RESPONSE_HEADERS[status]
        return response


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter sent empty (``?project=``, as HTML forms send blank fields) is
    taken as not sent; the schema says so where its type would not admit the empty string."""
    if schema.get("type") == "array" or "anyOf" in schema:
        return schema
    if schema.get("type") == "string" and not ({"format", "pattern", "enum", "minLength"} & set(schema)):
        return schema
    return {"anyOf": [schema, {"type": "string", "maxLength": 0, "description": "empty: as if not sent"}]}


def _is_uuid(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "uuid"


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>``: documented as DRF's token scheme always was."""

    target_class = "marlin.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }


class StrictInputSchema(OpenApiSerializerExtension):
    """A ``StrictInput`` refuses fields it does not know: its schema admits no others."""

    target_class = "marlin.api.serializers.StrictInput"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        return {**schema, "additionalProperties": False}
