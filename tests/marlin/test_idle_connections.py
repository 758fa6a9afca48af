"""Persistent connections: no health check per request, yet a connection the server dropped while
idle is replaced before the next request uses it."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import client_for, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _terminate(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_back_to_back_requests_send_no_health_check() -> None:
    client = client_for(make_user("contributor"))
    client.get("/api/v1/tasks/")

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/tasks/").status_code == 200

    assert not [q for q in queries.captured_queries if q["sql"].strip().upper() == "SELECT 1"]


def test_a_connection_dropped_while_idle_is_replaced_before_the_next_request(settings) -> None:
    settings.MARLIN_DB_IDLE_CHECK_SECONDS = 0
    client = client_for(make_user("contributor"))
    assert client.get("/api/v1/tasks/").status_code == 200
    pid = connection.connection.info.backend_pid

    _terminate(pid)

    assert client.get("/api/v1/tasks/").status_code == 200
    assert connection.connection.info.backend_pid != pid


def test_postgresql_connections_run_without_jit() -> None:
    # A JIT compile cost routing's waiting-work query 336 ms on top of its 26 ms, every run.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
