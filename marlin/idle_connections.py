"""Persistent database connections without a health check on every request.

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first query of every request: a
round trip per write that decides nothing while requests follow each other. Marlin checks a
connection only when it has been idle longer than ``MARLIN_DB_IDLE_CHECK_SECONDS`` (a restart or
an idle timeout of the server, a dropped NAT entry...), and closes it if it is unusable, so the
request opens a fresh one. A connection that breaks mid-request fails that request and is closed
at its end, as Django does with or without health checks (``errors_occurred``).

Celery workers follow the same rule around each task. Left to itself, Celery's Django fixup closes
every database connection before and after each task (unless ``CELERY_DB_REUSE_MAX``), so each
reactor pump paid for a new PostgreSQL backend: under a workday, a new connection for most of the
dozens of pumps a second. The worker keeps its connection instead and, like a request, closes it
only when it is broken, past ``CONN_MAX_AGE``, or found unusable after an idle spell.
"""

from __future__ import annotations

import time
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections


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


def before_task(sender: Any = None, **_: Any) -> None:
    """A worker's task starts: what ``request_started`` does for a request."""
    if _runs_in_a_worker(sender):
        check_idle_connections()
        close_old_connections()


def after_task(sender: Any = None, **_: Any) -> None:
    """A worker's task ended: what ``request_finished`` does for a request."""
    if _runs_in_a_worker(sender):
        close_old_connections()
        mark_released()


def _runs_in_a_worker(task: Any) -> bool:
    """An eager task runs inside the caller's request or transaction, whose connection is not
    the task's to close."""
    return task is not None and not getattr(task.request, "is_eager", False)


def connect_celery() -> None:
    task_prerun.connect(before_task, dispatch_uid="marlin.before_task", weak=False)
    task_postrun.connect(after_task, dispatch_uid="marlin.after_task", weak=False)
