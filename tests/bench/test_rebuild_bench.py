"""The rebuild benchmark's simulated log decides every task as the commands do; when a decider
gains an argument (a claim's presentation order did), the bench must follow, or ``make bench``
loses a figure. Run as ``make bench`` runs it, at its quick sizes (about 7 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.support import services

pytestmark = pytest.mark.postgres_only

ROOT = Path(__file__).resolve().parents[2]


def test_the_rebuild_benchmark_builds_its_log_and_reports_its_ratio(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL")
    env = {
        **os.environ,
        "DATABASE_URL": services.database_url(),
        "TEST_BROKER_URL": settings.CELERY_BROKER_URL or "",
    }

    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "rebuild", "--out", str(tmp_path)],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert run.returncode == 0, f"{run.stdout}\n{run.stderr[-5000:]}"
    figures = {row["name"]: row for row in json.loads((tmp_path / "latest.json").read_text())}
    assert figures["rebuild_ratio"]["marlin"] > 0
