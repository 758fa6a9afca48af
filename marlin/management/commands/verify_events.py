"""Check the log's integrity chain and that every projection equals a replay of the log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marlin import checks


class Command(BaseCommand):
    help = (
        "Walk the event log checking positions and the hash chain, then replay it in a rolled-back "
        "transaction and compare with the live projections. Exits non-zero on any break."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--skip-projections", action="store_true", help="Check the chain only (no replay)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(
        self, *args: Any, skip_projections: bool = False, no_progress: bool = False, **options: Any
    ) -> None:
        with tqdm(unit="event", disable=no_progress, file=self.stderr) as bar:
            report = checks.verify(check_projections=not skip_projections, progress=bar.update)
        for line in report.lines:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"{len(report.failures)} check(s) failed: " + "; ".join(report.failures))
        self.stdout.write(self.style.SUCCESS("All checks passed."))
