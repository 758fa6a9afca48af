"""Test-only endpoints: a state-changing POST (to exercise Idempotency-Key and errors) and a bug."""

from __future__ import annotations

import threading

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api.base import CommandApiView
from marlin.eventstore.store import read_stream
from tests.support.echo import ping


class PingInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    stream = serializers.CharField(max_length=60, required=False)
    expected_version = serializers.IntegerField(min_value=0, default=0)
    hold = serializers.BooleanField(default=False)


class PingHold:
    """Holds a ping posted with ``"hold": true`` in the middle of its request, so that a test can
    act while it runs. ``running`` is set once the view runs, which is after its Idempotency-Key
    is stored; the view goes on once ``released`` is set, or after ``TIMEOUT`` so that a failing
    test does not hang."""

    TIMEOUT = 5.0

    def __init__(self) -> None:
        self.running = threading.Event()
        self.released = threading.Event()


class PingApi(CommandApiView):
    hold = PingHold()  # a test that holds pings gives the view a fresh one

    def post(self, request: Request) -> Response:
        data = PingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["hold"]:
            self.hold.running.set()
            self.hold.released.wait(PingHold.TIMEOUT)
        ping_id = ping(
            values["name"], stream=values.get("stream"), expected_version=values["expected_version"]
        )
        stream = values.get("stream") or f"ping-{ping_id}"
        return Response({"ping_id": str(ping_id), "version": len(read_stream(stream))}, status=201)


class BoomApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("a bug with a secret inside: hunter2")
