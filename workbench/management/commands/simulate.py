"""Drive a realistic workload through every path of the workflow and print what happened.

By default the run gets a database of its own, ``<MARLIN_DATA_DIR>/simulation.sqlite3``, recreated
at the start of each run and kept afterwards to be looked at; the configured database is never
touched. The simulation then runs in a child process whose ``DATABASE_URL`` names that database:
every command, projector, reactor and lock uses the default connection, so a child process with
the same settings the server would use on that file is the one way to be sure nothing of the run
lands in the configured database (a second database alias would have to be threaded through
every app's writes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marlin.eventstore.models import Event
from workbench.simulation import Simulation

WORKLOAD_OPTIONS = ("contributors", "reviewers", "tasks", "overlap", "projects", "rounds", "seed")


def default_database_url() -> str:
    return f"sqlite:///{Path(settings.DATA_DIR) / 'simulation.sqlite3'}"


def recreate_sqlite_file(url: str) -> None:
    """Remove a previous run's file (and its WAL and shared-memory files) so the run starts empty."""
    name = Path(dj_database_url.parse(url)["NAME"])
    name.parent.mkdir(parents=True, exist_ok=True)
    for path in (name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")):
        path.unlink(missing_ok=True)


class Command(BaseCommand):
    help = (
        "Simulate contributors, reviewers, ops and finance working through tasks for a few weeks "
        "of pinned time; print a summary and the integrity checks. Exits non-zero if any fails. "
        "Runs in data/simulation.sqlite3 (recreated each run), never in the configured database."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--contributors", type=int, default=40)
        parser.add_argument("--reviewers", type=int, default=12)
        parser.add_argument("--tasks", type=int, default=400)
        parser.add_argument(
            "--overlap",
            type=int,
            default=2,
            choices=range(1, 6),
            metavar="{1..5}",
            help="each item imported as this many sibling tasks, for agreement (--tasks counts tasks)",
        )
        parser.add_argument(
            "--projects", type=int, default=1, help="the tasks dealt out over this many projects"
        )
        parser.add_argument("--rounds", type=int, default=400, help="rounds of 45 simulated minutes at most")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--no-progress", action="store_true")
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--database-url",
            help="run in this database instead (migrated first; refused if its event log is not empty)",
        )
        where.add_argument(
            "--here", action="store_true", help="run in the configured database (refused if it holds events)"
        )
        parser.add_argument(
            "--into-existing",
            action="store_true",
            help="run even though the target database's event log is not empty (adds to its data)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["here"]:
            self._simulate_here(options)
            return
        url = options["database_url"]
        if url is None:
            url = default_database_url()
            recreate_sqlite_file(url)
        self.stdout.write(f"Simulating in {url}")
        self._run_child(url, ["migrate", "--no-input", "--verbosity", "0"])
        child = ["simulate", "--here", *(f"--{name}={options[name]}" for name in WORKLOAD_OPTIONS)]
        child += ["--no-progress"] * options["no_progress"] + ["--into-existing"] * options["into_existing"]
        self._run_child(url, child)
        self.stdout.write(
            f"The run is kept in {url}; to look at it: "
            f"DATABASE_URL={url} .venv/bin/python manage.py serve 127.0.0.1:8001"
        )

    def _run_child(self, url: str, arguments: list[str]) -> None:
        """``manage.py <arguments>`` on ``url``, its output passed on; reactions run in-process
        there (no broker: workers of the configured database must not see the run)."""
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DATABASE_REPLICA_URL": "",
            "CELERY_BROKER_URL": "",
            "TEST_BROKER_URL": "",
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "django", *arguments],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        for line in child.stdout:
            self.stdout.write(line, ending="")
        if child.wait() != 0:
            raise CommandError(f"`manage.py {arguments[0]}` failed in {url} (exit {child.returncode})")

    def _simulate_here(self, options: dict[str, Any]) -> None:
        if Event.objects.exists() and not options["into_existing"]:
            raise CommandError(
                "the target database already holds events; the simulation would mix its people, "
                "tasks and payouts into them. Run plain `manage.py simulate` (a database of its "
                "own), or pass --into-existing to add to this one on purpose."
            )
        with tqdm(
            total=options["rounds"], unit="round", disable=options["no_progress"], file=self.stderr
        ) as bar:
            simulation = Simulation(
                contributors=options["contributors"],
                reviewers=options["reviewers"],
                tasks=options["tasks"],
                overlap=options["overlap"],
                projects=options["projects"],
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
