"""Shared fixtures: real PostgreSQL (or SQLite), real Redis, real Celery workers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from marlin.kernel import chance
from tests.support import services
from tests.support.immutability import triggers_suspended


@pytest.fixture(scope="session", autouse=True)
def _flush_past_event_triggers() -> Iterator[None]:
    """Transactional tests empty the database between tests; the event table refuses that, so
    the test flush (and only it) runs with the triggers suspended."""
    patched = []
    for alias in connections:
        ops = connections[alias].ops
        original = ops.execute_sql_flush

        def flush(sql_list: Any, _original: Any = original, _connection: Any = connections[alias]) -> None:
            with triggers_suspended(_connection):
                _original(sql_list)

        ops.execute_sql_flush = flush
        patched.append((ops, original))
    yield
    for ops, original in patched:
        ops.execute_sql_flush = original


@pytest.fixture(autouse=True)
def _presented_as_imported() -> Iterator[None]:
    """Claims show A and B in the order of the import unless a test says otherwise: a test that
    reads a judgment back as ops would otherwise pass or fail on a coin. The tests of the
    presentation order pin the coin themselves (``chance.pinned_coin``), or unpin it to draw."""
    with chance.pinned_coin(False):
        yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def broker_url() -> str:
    """The real Redis the PostgreSQL pass uses; emptied for the test."""
    url = settings.CELERY_BROKER_URL
    if not url:
        services.unavailable("no TEST_BROKER_URL: run the suite with `make test`")
    if not services.redis_reachable(url):
        services.unavailable(f"Redis is not reachable at {url}")
    services.flush_redis(url)
    return url


@pytest.fixture
def start_worker(broker_url: str, transactional_db: None) -> Iterator[Any]:
    """Start real Celery workers against the test database; all are stopped after the test."""
    started: list[services.Worker] = []

    def start(**options: Any) -> services.Worker:
        options.setdefault("broker_url", broker_url)
        worker = services.Worker(options.pop("broker_url"), **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fault run restarts the PostgreSQL and Redis every other test uses: it goes last."""
    items.sort(key=lambda item: item.get_closest_marker("faults") is not None)
