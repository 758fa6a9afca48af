"""Serve Marlin embedded: the development server plus the periodic jobs in-process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from marlin.schedule import start_ticker


class Command(BaseCommand):
    help = "Serve the API with periodic jobs running in-process (the embedded mode of `make run`)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        if settings.CELERY_BROKER_URL:
            self.stdout.write("CELERY_BROKER_URL is set: run `celery -A marlin worker -B` for reactions.")
        else:
            start_ticker()
            self.stdout.write("Reactors and periodic jobs run in-process (no broker configured).")
        call_command("runserver", addrport, use_reloader=False, use_threading=True)
