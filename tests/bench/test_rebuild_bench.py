"""The rebuild benchmark's simulated log decides every task as the commands do; when a decider
gains an argument (a claim's presentation order did), the bench must follow, or ``make bench``
loses a figure. Run as ``make bench`` runs it, at its quick sizes (about 7 s)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres_only


def test_the_rebuild_benchmark_builds_its_log_and_reports_its_ratio(run_bench_step) -> None:
    figures = run_bench_step("rebuild")

    assert figures["rebuild_ratio"]["marlin"] > 0
