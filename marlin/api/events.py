"""``GET events/`` (ops): the log itself, filtered by stream, type and position, cursor-paginated."""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from marlin.api.filters import IntegerFilter
from marlin.api.pagination import StrictPageSize
from marlin.api.permissions import IsOps
from marlin.api.serializers import ModelOutput
from marlin.eventstore.models import Event


class EventOutput(ModelOutput):
    class Meta:
        model = Event
        fields = [
            "position",
            "event_id",
            "stream",
            "version",
            "type",
            "schema_version",
            "data",
            "metadata",
            "recorded_at",
            "hash",
        ]


class EventFilter(django_filters.FilterSet):
    stream = django_filters.CharFilter()
    type = django_filters.CharFilter()
    after = IntegerFilter(field_name="position", lookup_expr="gt")

    class Meta:
        model = Event
        fields = ["stream", "type", "after"]


class PositionCursorPagination(StrictPageSize, CursorPagination):
    """Stable under appends: a cursor is a position, so new events never shift a page."""

    ordering = "position"
    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"] = {"count": {"type": "integer"}, **result["properties"]}
        return result


class EventListApi(generics.ListAPIView):
    """The event log, oldest first. Filters: ``stream``, ``type``, ``after`` (a position)."""

    permission_classes = [IsOps]
    serializer_class = EventOutput
    pagination_class = PositionCursorPagination
    filterset_class = EventFilter
    queryset = Event.objects.all()
