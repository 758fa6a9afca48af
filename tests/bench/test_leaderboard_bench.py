"""The leaderboard benchmark writes its 100,000 judgments straight into the read tables by COPY,
so a column the models gain must reach them, or ``make bench`` loses a figure. Run as ``make
bench`` runs it, at its quick size (about 12 s)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres_only


def test_the_leaderboard_benchmark_writes_its_judgments_and_reads_them_all_back(run_bench_step) -> None:
    # The step's read asserts that every judgment and model comes back.
    figures = run_bench_step("leaderboard")

    assert figures["leaderboard_100k_s"]["marlin"] > 0
    assert figures["leaderboard_100k_s"]["raw"] > 0
