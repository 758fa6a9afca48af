"""Running a ``make bench`` step the way ``make bench`` runs it, at its quick size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.support import services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_bench_step(tmp_path: Path) -> Callable[[str], dict[str, dict[str, Any]]]:
    """Run ``python -m bench --quick --only <step>`` against the test server; return every named
    figure of the run's report, by name. The step must pass."""
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL")

    def run(step: str) -> dict[str, dict[str, Any]]:
        env = {
            **os.environ,
            "DATABASE_URL": services.database_url(),
            "TEST_BROKER_URL": settings.CELERY_BROKER_URL or "",
        }
        done = subprocess.run(
            [sys.executable, "-m", "bench", "--quick", "--only", step, "--out", str(tmp_path)],
            check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-5000:]}"
        (report,) = tmp_path.glob("bench-*.json")
        return {row["name"]: row for row in json.loads(report.read_text())["results"] if row["name"]}

    return run
