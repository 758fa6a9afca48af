"""The embedded stand-in for Celery beat: runs the periodic jobs in a background thread.

Production runs ``celery -A marlin beat``; ``manage.py serve`` (the embedded mode) has no beat,
so it starts this ticker, which runs the same jobs (``MARLIN_PERIODIC_JOBS``) in-process.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)


def start_ticker() -> threading.Thread:
    thread = threading.Thread(target=_run, name="marlin-ticker", daemon=True)
    thread.start()
    return thread


def _run() -> None:
    from marlin.celery import app

    due: dict[str, float] = dict.fromkeys(settings.MARLIN_PERIODIC_JOBS, 0.0)
    while True:
        now = time.monotonic()
        for name, interval in settings.MARLIN_PERIODIC_JOBS.items():
            if now < due[name]:
                continue
            due[name] = now + interval
            close_old_connections()
            try:
                app.tasks[name].run()
            except Exception:
                log.exception("periodic job %s failed", name)
        time.sleep(0.5)
