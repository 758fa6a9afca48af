"""Health, schema, offline docs, the events endpoint, settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.factories import client_for, make_user
from tests.support.echo import ping
from tests.support.services import broker_for_this_process

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_broker(api_client) -> None:
    response = api_client.get("/healthz")

    body = response.json()
    assert body["database"] == "ok"
    if settings.CELERY_BROKER_URL:
        assert body["broker"] == "ok"
    else:
        assert body["broker"] == "not configured"
    assert response.status_code == 200


def test_healthz_is_503_when_the_broker_is_unreachable(api_client) -> None:
    with broker_for_this_process("redis://127.0.0.1:1/0"):
        response = api_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_openapi_schema_and_docs_are_served_without_internet(api_client) -> None:
    client = client_for(make_user())

    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/v1/docs/")

    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html


def test_events_are_listed_oldest_first_with_filters_and_cursor_pages() -> None:
    for name in "abcde":
        ping(name)
    ops = client_for(make_user("ops"))  # registering appends event 6

    first = ops.get("/api/v1/events/", {"page_size": 2}).json()
    second = ops.get(first["next"]).json()
    after = ops.get("/api/v1/events/", {"after": 3, "type": "Pinged"}).json()
    by_type = ops.get("/api/v1/events/", {"type": "Nope"}).json()

    assert [e["position"] for e in first["results"]] == [1, 2]
    assert [e["position"] for e in second["results"]] == [3, 4]
    assert first["count"] == 6
    assert [e["position"] for e in after["results"]] == [4, 5]
    assert by_type["results"] == []
    assert by_type["count"] == 0


def test_lists_are_paginated_in_the_documented_shape() -> None:
    ops = client_for(make_user("ops"))

    body = ops.get("/api/v1/events/").json()

    assert set(body) == {"count", "next", "previous", "results"}


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import marlin.settings as s; print(s.DATABASES['default']['ENGINE'], s.CONN_MAX_AGE)",
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off(tmp_path) -> None:
    # An empty data directory: no key file `make run` could have written either.
    result = _import_settings(DEBUG="false", MARLIN_DATA_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_default_to_an_embedded_sqlite_file_with_persistent_connections(tmp_path) -> None:
    result = _import_settings(DEBUG="true", MARLIN_DATA_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    engine, conn_max_age = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert int(conn_max_age) > 0


def test_sqlite_waits_for_the_write_lock_instead_of_failing() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import marlin.settings as s; o = s.DATABASES['default']['OPTIONS'];"
            "print(o['transaction_mode'], o['timeout'])",
        ],
        env={**os.environ, "DEBUG": "true", "DATABASE_URL": "sqlite:////tmp/x.sqlite3"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split() == ["IMMEDIATE", "30"]
