"""An outage is answered as an outage: a 503 in the one error shape, code
``service_unavailable``, with ``Retry-After``, never a 500, whether the database or the Redis the
API counts on is down, and whether an API view or a middleware met it first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from marlin.api.errors import OUTAGE_RETRY_AFTER_SECONDS
from tests.factories import client_for, make_user

CLOSED_PORT = "1"  # nothing listens there: connections are refused, as while PostgreSQL restarts


@contextmanager
def database_down() -> Iterator[None]:
    """The next connection is refused; the real one is back afterwards."""
    settings = connection.settings_dict
    host, port = settings["HOST"], settings["PORT"]
    connection.close()
    settings["HOST"], settings["PORT"] = "127.0.0.1", CLOSED_PORT
    try:
        yield
    finally:
        connection.close()
        settings["HOST"], settings["PORT"] = host, port


def assert_outage(response, dependency: str) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["message"].startswith(dependency)
    assert error["request_id"] == response["X-Request-ID"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_api_request_while_the_database_refuses_connections_is_a_503() -> None:
    ops = client_for(make_user("ops"))

    with database_down():
        read = ops.get("/api/v1/tasks/")
        write = ops.post("/api/v1/projects/", {"name": "During the outage"}, format="json")

    assert_outage(read, "The database")
    assert_outage(write, "The database")
    assert ops.get("/api/v1/tasks/").status_code == 200  # back by itself once it answers again


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_page_whose_session_cannot_be_read_while_the_database_is_down_is_a_503() -> None:
    browser = Client(raise_request_exception=False)
    browser.force_login(make_user("ops"))

    with database_down():
        page = browser.get("/ops/")

    assert_outage(page, "The database")


@pytest.mark.django_db
def test_an_api_request_while_redis_refuses_connections_is_a_503(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    ops = client_for(make_user("ops"))

    answer = ops.get("/api/v1/tasks/")  # the throttle counts the request in Redis first

    assert_outage(answer, "The broker")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_outage_is_logged_as_a_warning_naming_it_not_as_an_error_with_a_traceback(caplog) -> None:
    ops = client_for(make_user("ops"))
    browser = Client(raise_request_exception=False)
    browser.force_login(make_user("ops"))

    with caplog.at_level("INFO"), database_down():
        api = ops.get("/api/v1/tasks/")
        page = browser.get("/ops/")

    assert (api.status_code, page.status_code) == (503, 503)
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}], caplog.text
    outages = [r for r in caplog.records if r.levelname == "WARNING" and "outage" in r.getMessage()]
    assert len(outages) == 2
    assert all("OperationalError" in r.getMessage() and r.exc_info is None for r in outages)
