"""``Idempotency-Key`` on state-changing POSTs, scoped to the caller.

- first request with a key: the key is recorded as in flight, the command runs, and its response
  is stored (2xx and the final 4xx answers: 400, 403, 404, 422);
- the same key and the same request again: the stored response, nothing recorded anew;
- while the first is still running: 409; the same key with a different request: 422;
- answers that a retry could change (401, 409, 429, 5xx) are not stored: the key is freed.

Keys are kept ``MARLIN_IDEMPOTENCY_TTL_HOURS`` (24 h by default) and then purged by a periodic job.
A key stays "in flight" while its request runs, and at most ``LEASE``. On PostgreSQL the key
records the database backend of the request's connection: an API process killed mid-request
(SIGKILL, out of memory) loses its connection, PostgreSQL ends that backend and rolls back whatever
it had not committed, and a retry with the key, finding the backend gone, takes the key over at
once instead of waiting out the lease. Should the process die between the command's commit and
storing its response (views that store it after their commands), the retry runs the command
again, and the command's own state checks (one claim at a time, one decision per review, import
by external id...) refuse a second effect.
"""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from marlin.api.errors import IdempotencyInFlight, IdempotencyKeyReused, InvalidIdempotencyKey
from marlin.kernel import clock
from marlin.models import IdempotencyKey

HEADER = "Idempotency-Key"
LEASE = timedelta(minutes=2)
STORED_STATUSES = frozenset({400, 403, 404, 422})
MAX_KEY_LENGTH = 255
# Printable ASCII, not starting or ending with a space. Spaces and tabs around a header's value are
# not part of it (HTTP's optional whitespace), so the header's pattern, which the schema declares,
# allows them around the key; nothing else is stripped ("abc\x1f" is refused, not read as "abc").
KEY_PATTERN = rf"^[!-~]([ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$"
HEADER_PATTERN = rf"^[ \t]*[!-~]([ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?[ \t]*$"
HTTP_WHITESPACE = " \t"


@dataclass(frozen=True)
class Replay:
    response: Response


def fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path and content. For a file upload the
    content is the fields and files, not the raw body, whose multipart boundary every client
    draws anew on each attempt."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode())
        digest.update(b"\0")
    if (request.content_type or "").startswith("multipart/"):
        for name, values in sorted(request.data.lists()):
            for value in values:
                digest.update(name.encode() + b"\0" + _content(value) + b"\0")
    else:
        digest.update(request._request.body)
    return digest.hexdigest()


def _content(value: Any) -> bytes:
    if isinstance(value, UploadedFile):
        content = hashlib.sha256()
        for chunk in value.chunks():
            content.update(chunk)
        value.seek(0)
        return f"{value.name}:{content.hexdigest()}".encode()
    return str(value).encode()


def key_of(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip(HTTP_WHITESPACE)
    if not re.fullmatch(KEY_PATTERN, key):
        raise InvalidIdempotencyKey(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return key


def begin(request: Request) -> IdempotencyKey | Replay | None:
    """Claim the caller's key for this request, or return the stored response to replay."""
    key = key_of(request)
    if key is None or not request.user.is_authenticated:
        return None
    request_fingerprint = fingerprint(request)
    now = clock.now()
    for _attempt in range(3):
        try:
            with _one_statement():
                return IdempotencyKey.objects.create(
                    user=request.user,
                    key=key,
                    fingerprint=request_fingerprint,
                    started_at=now,
                    holder_pid=_backend_pid(),
                    expires_at=now + timedelta(hours=settings.MARLIN_IDEMPOTENCY_TTL_HOURS),
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            if existing is None:
                continue  # freed meanwhile: try again
            if existing.expires_at <= now:
                IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
                continue
            if existing.fingerprint != request_fingerprint:
                raise IdempotencyKeyReused(
                    f"this {HEADER} was used for a different request; use a new key"
                ) from None
            if existing.state == IdempotencyKey.State.DONE:
                return Replay(_stored_response(existing))
            if existing.started_at > now - LEASE and _holder_alive(existing):
                raise IdempotencyInFlight(
                    f"a request with this {HEADER} is still being processed; retry shortly"
                ) from None
            holder = _backend_pid()
            taken = IdempotencyKey.objects.filter(
                pk=existing.pk, state=IdempotencyKey.State.IN_FLIGHT, started_at=existing.started_at
            ).update(started_at=now, holder_pid=holder)
            if taken:
                existing.started_at, existing.holder_pid = now, holder
                return existing
    raise IdempotencyInFlight(f"a request with this {HEADER} is being processed; retry shortly")


def _backend_pid() -> int | None:
    """The PostgreSQL backend serving this process's connection (None on SQLite). psycopg knows
    it from the connection's start: no round trip."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _holder_alive(record: IdempotencyKey) -> bool:
    """Whether the request holding the key may still be running: its backend is still there (and
    is the same one: a backend started after the key was taken only reuses the number). Without
    a recorded backend (SQLite), the lease alone decides.

    PostgreSQL reads ``pg_stat_activity`` once per transaction and answers every later read in it
    from that snapshot, so it is discarded first: an earlier read would show a dead backend alive."""
    if record.holder_pid is None or connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND backend_start <= %s",
            [record.holder_pid, record.started_at],
        )
        return cursor.fetchone() is not None


def _one_statement() -> AbstractContextManager[Any]:
    """The key's INSERT commits on its own (autocommit: one round trip, not BEGIN, INSERT and
    COMMIT); inside a transaction, a savepoint keeps a duplicate key from breaking it."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def finish(record: IdempotencyKey, response: Response) -> None:
    """Store the response to replay, or free the key when a retry might be answered otherwise."""
    status = response.status_code
    rendered = _rendered(response)
    if (200 <= status < 300 or status in STORED_STATUSES) and _storable(rendered):
        IdempotencyKey.objects.filter(pk=record.pk).update(
            state=IdempotencyKey.State.DONE,
            response_status=status,
            response_body=None if rendered is None else json.loads(rendered),
            response_headers=_replayable_headers(response),
        )
    else:
        IdempotencyKey.objects.filter(pk=record.pk).delete()


def purge_expired() -> int:
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted


def _rendered(response: Response) -> bytes | None:
    """The response data exactly as the JSON renderer sends it (UUIDs, decimals as strings)."""
    if response.data is None:
        return None
    return JSONRenderer().render(response.data)


def _storable(rendered: bytes | None) -> bool:
    """PostgreSQL's jsonb holds no NUL character; an answer echoing one (an unknown form field
    named with it, refused with 400) is not stored, and a retry is answered anew, the same way.
    JSON always writes a NUL as the escape ``\\u0000``."""
    return rendered is None or b"\\u0000" not in rendered


def _replayable_headers(response: Response) -> dict[str, str]:
    return {name: response[name] for name in ("Location",) if response.has_header(name)}


def _stored_response(record: IdempotencyKey) -> Response:
    response = Response(record.response_body, status=record.response_status)
    for name, value in (record.response_headers or {}).items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response
