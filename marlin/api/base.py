"""Base API views. Views stay thin: parse input, call one command or selector, serialize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api import idempotency
from marlin.eventstore.store import command_transaction, retrying_a_lost_race
from marlin.models import IdempotencyKey

UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})


class _Replayed(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class CommandApiView(APIView):
    """A view whose POST changes state: honours ``Idempotency-Key`` (see ``idempotency``).

    ``one_command``: the POST runs exactly one command and catches none of its refusals. With a
    key, the view then runs inside the command's transaction and the response is stored in the
    same commit as the events (one commit fewer, and no window in which the events are committed
    but the response is not)."""

    one_command: bool = False
    _idempotency_record: IdempotencyKey | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles first
        self._idempotency_record = None
        if request.method == "POST":
            started = idempotency.begin(request)
            if isinstance(started, idempotency.Replay):
                raise _Replayed(started.response)
            self._idempotency_record = started
            if started is not None and self.one_command:
                self.post = self._stored_with_its_command(self.post)  # type: ignore[method-assign]
        method = (request.method or "").lower()
        if method in UNSAFE_METHODS and hasattr(self, method):
            setattr(self, method, self._retrying_a_lost_race(getattr(self, method)))

    def _retrying_a_lost_race(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        """A deadlock or serialization failure is PostgreSQL's, not the client's: the handler
        runs once more before the client hears of it (``retrying_a_lost_race`` says when that is
        safe), and only a second in a row is answered 409 ``concurrent_update``."""

        def handle(request: Request, *args: Any, **kwargs: Any) -> Response:
            return retrying_a_lost_race(lambda: handler(request, *args, **kwargs), what=request.path)

        return handle

    def _stored_with_its_command(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        def post(request: Request, *args: Any, **kwargs: Any) -> Response:
            record = self._idempotency_record
            assert record is not None
            with command_transaction(actor_id=request.user.pk, hosts_one_command=True):
                response = handler(request, *args, **kwargs)
                idempotency.finish(record, response)
            # Committed with the command. Had the transaction failed, the refusal would be
            # stored (or the key freed) by ``finalize_response``, as for any other view.
            self._idempotency_record = None
            return response

        return post

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
