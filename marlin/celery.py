"""The Celery app. It finds each app's ``jobs.py`` (``tasks`` is an app name, so not ``tasks.py``)."""

from __future__ import annotations

import os

from celery import Celery

from marlin import idle_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marlin.settings")

app = Celery("marlin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")

idle_connections.connect_celery()
