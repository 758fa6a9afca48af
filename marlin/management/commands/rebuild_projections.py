"""Replay the whole log into freshly emptied read tables, with a progress bar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from marlin import projections
from marlin.eventstore.store import head_position


class Command(BaseCommand):
    help = "Empty every projection table and replay the event log into it (one transaction)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, no_progress: bool = False, **options: Any) -> None:
        total = head_position()
        with tqdm(total=total, unit="event", disable=no_progress, file=self.stderr) as bar:
            result = projections.rebuild(progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"Replayed {result.events} events into {len(result.tables)} tables: "
                + ", ".join(result.tables)
            )
        )
