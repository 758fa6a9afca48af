"""Persistent database connections without a health check on every request.

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first query of every request: a
round trip per write that decides nothing while requests follow each other. Marlin checks a
connection only when it has been idle longer than ``MARLIN_DB_IDLE_CHECK_SECONDS`` (a restart or
an idle timeout of the server, a dropped NAT entry...), and closes it if it is unusable, so the
request opens a fresh one. A connection that breaks mid-request fails that request and is closed
at its end, as Django does with or without health checks (``errors_occurred``).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections


def check_idle_connections(**_: Any) -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        released = getattr(connection, "marlin_released_at", None)
        if connection.connection is None or released is None:
            continue
        if now - released >= settings.MARLIN_DB_IDLE_CHECK_SECONDS and not connection.is_usable():
            connection.close()


def mark_released(**_: Any) -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        connection.marlin_released_at = now


def connect() -> None:
    request_started.connect(check_idle_connections, dispatch_uid="marlin.check_idle_connections")
    request_finished.connect(mark_released, dispatch_uid="marlin.mark_released")
