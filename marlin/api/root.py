"""``GET /api/v1/``: where everything is, for a person or a client finding their way in."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# The API's entry points by URL name; what each person may do there is up to the endpoint.
ENTRY_POINTS = {
    "docs": "docs",
    "schema": "schema",
    "token": "auth-token",
    "logout": "auth-logout",
    "invitation": "auth-invitation",
    "me": "me",
    "people": "people",
    "projects": "projects",
    "tasks": "tasks",
    "reviews": "reviews",
    "queues": "queues",
    "events": "events",
    "payouts": "payouts",
    "statements": "statements",
}


class ApiRootApi(APIView):
    """Links to the API's entry points (open to anyone: it holds no data)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=inline_serializer("ApiRootOutput", {"links": serializers.DictField()}))
    def get(self, request: Request) -> Response:
        links = {name: request.build_absolute_uri(reverse(url)) for name, url in ENTRY_POINTS.items()}
        return Response({"links": links})
