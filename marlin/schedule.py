"""The embedded stand-in for Celery beat: runs the periodic jobs in a background thread.

Production runs ``celery -A marlin beat``; ``manage.py serve`` (the embedded mode) has no beat,
so it starts this ticker, which runs the same jobs (``MARLIN_PERIODIC_JOBS``) in-process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

from marlin.celery import app

log = logging.getLogger(__name__)


def start_ticker() -> threading.Thread:
    thread = threading.Thread(target=_run, name="marlin-ticker", daemon=True)
    thread.start()
    return thread


def periodic_jobs() -> dict[str, tuple[Callable[[], object], float]]:
    """Each periodic job's function and interval, as Celery beat would run them."""
    app.loader.import_default_modules()  # registers every app's jobs.py, as a worker would
    return {name: (app.tasks[name].run, seconds) for name, seconds in settings.MARLIN_PERIODIC_JOBS.items()}


def _run() -> None:
    jobs = periodic_jobs()
    due: dict[str, float] = dict.fromkeys(jobs, 0.0)
    while True:
        now = time.monotonic()
        for name, (job, interval) in jobs.items():
            if now < due[name]:
                continue
            due[name] = now + interval
            close_old_connections()
            try:
                job()
            except Exception:
                log.exception("periodic job %s failed", name)
        time.sleep(0.5)
