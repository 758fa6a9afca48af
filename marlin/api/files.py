"""Reads that answer as JSON or, with ``?format=csv``, as a streamed CSV file (finance's period
files, ops' quality reports)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class CSVRenderer(BaseRenderer):
    """Lets ``?format=csv`` choose the streamed CSV answer."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None) -> bytes:
        return b""  # CSV answers are streamed by the view; errors fall back to JSON


class JsonOrCsvApi(APIView):
    """A read answered as JSON, or as a CSV file streamed a line at a time (memory stays flat
    however many rows); errors are JSON whatever format was asked for."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    def answer(
        self,
        request: Request,
        *,
        as_json: Callable[[], Any],
        as_csv: Callable[[], Iterator[str]],
        file_name: str,
    ) -> Any:
        if request.accepted_renderer.format != "csv":
            return Response(as_json())
        response = StreamingHttpResponse(as_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{file_name}.csv"'
        return response

    def handle_exception(self, exc: Exception) -> Response:
        self.request.accepted_renderer = JSONRenderer()  # errors are JSON, whatever was asked for
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
