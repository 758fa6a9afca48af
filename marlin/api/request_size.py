"""Request bodies count against ``MARLIN_MAX_REQUEST_BYTES`` before anything reads them.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not cover file uploads, so an import of any size
used to be parsed whole. This middleware answers 413 ``request_too_large`` (the one error shape):

- at once, unread, when the declared ``Content-Length`` exceeds the limit;
- while reading, when a chunked request (no ``Content-Length``, a server that ends the input, as
  gunicorn does) passes the limit. Such a body is spooled (memory, then a temporary file) and
  handed on with its length, so Django and DRF parse it like any other.

A chunked body on a server that does not end the input is never read by Django (it sees no
length, so an empty body): bounded at nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

from marlin.api.errors import request_too_large

READ_SIZE = 64 * 1024


class BodyTooLarge(Exception):
    """The body went past ``MARLIN_MAX_REQUEST_BYTES`` while it was being read."""


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.MARLIN_MAX_REQUEST_BYTES
        declared = declared_length(request)
        if declared is not None and declared > limit:
            return request_too_large(request)
        if declared is not None or not _chunked(request):
            return self.get_response(request)
        try:
            body, size = spool(request.META["wsgi.input"], limit)
        except BodyTooLarge:
            return request_too_large(request)
        # Django offers no public way to swap a request's body stream; this is the one place.
        request._stream = LimitedStream(body, size)  # type: ignore[attr-defined]
        request.META["CONTENT_LENGTH"] = str(size)
        try:
            return self.get_response(request)
        finally:
            body.close()


def declared_length(request: HttpRequest) -> int | None:
    """The Content-Length the client sent, or None when there is none (or none that parses)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def _chunked(request: HttpRequest) -> bool:
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and bool(request.META.get("wsgi.input_terminated"))


def spool(source: IO[bytes], limit: int) -> tuple[IO[bytes], int]:
    """Copy ``source`` to a spooled file, counting: past ``limit`` bytes, stop and raise."""
    # Handed on open: the middleware closes it once the response is made.
    body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    size = 0
    while chunk := source.read(READ_SIZE):
        size += len(chunk)
        if size > limit:
            body.close()
            raise BodyTooLarge
        body.write(chunk)
    body.seek(0)
    return body, size
