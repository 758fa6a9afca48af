"""Drive a realistic workload through every path of the workflow and print what happened."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from workbench.simulation import Simulation


class Command(BaseCommand):
    help = (
        "Simulate contributors, reviewers, ops and finance working through tasks for a few weeks "
        "of pinned time; print a summary and the integrity checks. Exits non-zero if any fails."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--contributors", type=int, default=40)
        parser.add_argument("--reviewers", type=int, default=12)
        parser.add_argument("--tasks", type=int, default=200)
        parser.add_argument("--rounds", type=int, default=400, help="rounds of 45 simulated minutes at most")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(
            total=options["rounds"], unit="round", disable=options["no_progress"], file=self.stderr
        ) as bar:
            simulation = Simulation(
                contributors=options["contributors"],
                reviewers=options["reviewers"],
                tasks=options["tasks"],
                rounds=options["rounds"],
                seed=options["seed"],
                progress=bar.update,
            )
            lines, ok = simulation.run()
        for line in lines:
            self.stdout.write(line)
        if not ok:
            raise CommandError("the simulation left the log or the ledger inconsistent")
        self.stdout.write(self.style.SUCCESS("Simulation finished; every check passed."))
