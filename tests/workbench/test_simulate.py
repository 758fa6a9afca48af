"""``manage.py simulate``: every path of the workflow, end to end, leaves a consistent log."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_a_small_simulation_runs_every_path_and_passes_every_check(capsys) -> None:
    call_command("simulate", tasks=16, contributors=6, reviewers=5, rounds=120, seed=3, no_progress=True)

    out = capsys.readouterr().out
    assert "Simulation finished; every check passed." in out
    assert "chain:" in out
    for path in ("claim", "submit", "approve", "request_changes", "revise"):
        assert f"{path} " in out.split("done: ")[1].split("\n")[0]
