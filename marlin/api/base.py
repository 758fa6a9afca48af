"""Base API views. Views stay thin: parse input, call one command or selector, serialize."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api import idempotency
from marlin.models import IdempotencyKey


class _Replayed(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class CommandApiView(APIView):
    """A view whose POST changes state: honours ``Idempotency-Key`` (see ``idempotency``)."""

    _idempotency_record: IdempotencyKey | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles first
        self._idempotency_record = None
        if request.method == "POST":
            started = idempotency.begin(request)
            if isinstance(started, idempotency.Replay):
                raise _Replayed(started.response)
            self._idempotency_record = started

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replayed):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        record = self._idempotency_record
        if record is not None:
            self._idempotency_record = None
            idempotency.finish(record, response)
        return super().finalize_response(request, response, *args, **kwargs)
