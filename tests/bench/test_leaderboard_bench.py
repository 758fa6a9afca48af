"""The leaderboard benchmark writes its 100,000 judgments straight into the read tables by COPY,
so a column the models gain must reach them, or ``make bench`` loses a figure. Run as ``make
bench`` runs it, at its quick size (about 12 s)."""

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


def test_the_leaderboard_benchmark_writes_its_judgments_and_reads_them_all_back(tmp_path: Path) -> None:
    # The step's read asserts that every judgment and model comes back.
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL")
    env = {
        **os.environ,
        "DATABASE_URL": services.database_url(),
        "TEST_BROKER_URL": settings.CELERY_BROKER_URL or "",
    }

    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "leaderboard", "--out", str(tmp_path)],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert run.returncode == 0, f"{run.stdout}\n{run.stderr[-5000:]}"
    (report,) = tmp_path.glob("bench-*.json")
    figures = {row["name"]: row for row in json.loads(report.read_text())["results"] if row["name"]}
    assert figures["leaderboard_100k_s"]["marlin"] > 0
    assert figures["leaderboard_100k_s"]["raw"] > 0
