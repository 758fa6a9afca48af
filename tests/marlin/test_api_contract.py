"""Whole-API properties: the schema is complete, every state-changing POST takes an
Idempotency-Key, every list is paginated in one shape."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from marlin.api.base import CommandApiView
from tests.factories import client_for, make_user

# Signing in or out of the browsable API, or exchanging credentials for a token, records nothing.
NOT_STATE_CHANGING = {"TokenApi", "LoginView", "LogoutView"}


def api_views() -> list[type]:
    views: list[type] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and prefix.startswith("api/v1/"):
                view = getattr(pattern.callback, "view_class", None)
                if view is not None:
                    views.append(view)

    walk(get_resolver().url_patterns, "")
    return views


def test_the_openapi_schema_generates_without_warnings_or_errors(tmp_path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/payouts/report/" in (tmp_path / "schema.yaml").read_text()


def test_every_state_changing_post_honours_idempotency_keys() -> None:
    posting = [view for view in api_views() if hasattr(view, "post")]

    missing = [
        v.__name__
        for v in posting
        if not issubclass(v, CommandApiView) and v.__name__ not in NOT_STATE_CHANGING
    ]

    assert len(posting) >= 15
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("ops", "/api/v1/people/"),
        ("ops", "/api/v1/projects/"),
        ("ops", "/api/v1/tasks/"),
        ("ops", "/api/v1/reviews/"),
        ("finance", "/api/v1/payouts/"),
        ("finance", "/api/v1/statements/"),
        ("ops", "/api/v1/events/"),
    ],
)
def test_every_list_is_paginated_in_one_shape(role, path) -> None:
    body = client_for(make_user(role)).get(path).json()

    assert set(body) == {"count", "next", "previous", "results"}
