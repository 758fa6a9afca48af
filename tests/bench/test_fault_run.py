"""The fault run, reduced to fit the suite (``python -m bench.faults --quick``): a workday over
HTTP against gunicorn, a Celery worker and beat while the Celery worker is SIGKILLed, PostgreSQL
is restarted, Redis is stopped and a gunicorn worker is killed mid-request; then nothing is lost,
nothing happened twice, and every answer was 2xx, 4xx or 503.

It restarts the PostgreSQL and the Redis this suite runs on, so it runs last (``faults`` marker,
see conftest) and leaves this process's connections closed for whatever comes after."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from tests.support import services

pytestmark = [pytest.mark.postgres_only, pytest.mark.worker, pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_FAULTS = ["worker_killed", "postgres_restarted", "redis_stopped", "api_worker_killed"]


@pytest.fixture
def server_url() -> Iterator[str]:
    """The PostgreSQL server the suite runs on (the run makes a database of its own there)."""
    if connection.vendor != "postgresql":
        pytest.skip("the fault run restarts PostgreSQL")
    yield services.database_url().rsplit("/", 1)[0] + "/postgres"
    connections.close_all()  # they died with the restart; the next test opens new ones


def test_the_reduced_fault_run_loses_nothing_does_nothing_twice_and_answers_no_500(
    server_url: str, tmp_path: Path
) -> None:
    broker = settings.CELERY_BROKER_URL
    if not broker or not services.redis_reachable(broker):
        services.unavailable("the fault run needs the suite's Redis (TEST_BROKER_URL)")
    for tool in ("pg_ctlcluster", "redis-server", "redis-cli", "pgrep"):
        if not shutil.which(tool):
            services.unavailable(f"the fault run needs {tool} on this machine")
    env = {
        **os.environ,
        "DATABASE_URL": server_url,
        "TEST_BROKER_URL": broker,
        "FAULTS_DB": "marlin_faults_suite",
        "BENCH_PORT": str(services.free_port()),
    }

    run = subprocess.run(
        [sys.executable, "-m", "bench.faults", "--quick", "--out", str(tmp_path)],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    output = f"{run.stdout}\n{run.stderr[-5000:]}"
    assert run.returncode == 0, output
    report = json.loads((tmp_path / "faults-latest.json").read_text())
    assert report["passed"] is True
    assert [fault["fault"] for fault in report["faults"]] == EXPECTED_FAULTS
    assert all(check["passed"] for check in report["checks"]), output
    assert report["answers"]["5xx other than 503"] == 0
    assert report["answers"]["no answer (cut off)"] >= 1, "the killed API worker cut someone off"
    assert report["writes"]["unresolved"] == 0
    assert (tmp_path / "faults-latest.csv").read_text().startswith("section,name,value,detail")
