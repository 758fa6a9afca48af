"""``manage.py simulate``: every path of the workflow, end to end, leaves a consistent log; by
default in a database of its own, never in the configured one."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from marlin.eventstore.models import Event
from marlin.kernel import chance, clock
from tasks.models import Task
from tests.factories import make_user
from workbench.simulation import AGREEMENT_FAILS, AGREEMENT_SEPARATES, compare_agreement

pytestmark = pytest.mark.django_db

# Enough work for the planted contributors to be measured: 20 judgments, 4 gold answers.
PLANTED = {"tasks": 120, "contributors": 4, "reviewers": 4, "rounds": 200, "seed": 4}
SMALL = {"tasks": 16, "contributors": 6, "reviewers": 5, "rounds": 120, "seed": 3, "no_progress": True}


def test_a_small_simulation_runs_every_path_and_passes_every_check(capsys) -> None:
    call_command("simulate", here=True, **SMALL)

    out = capsys.readouterr().out
    assert "Simulation finished; every check passed." in out
    assert "chain:" in out
    for path in ("claim", "submit", "approve", "request_changes", "revise"):
        assert f"{path} " in out.split("done: ")[1].split("\n")[0]


def test_the_tasks_are_dealt_over_several_projects_and_the_simulated_rounds_end_now(capsys) -> None:
    call_command("simulate", here=True, **{**SMALL, "projects": 3, "tasks": 12, "rounds": 60})

    out = capsys.readouterr().out
    assert "Simulation finished; every check passed." in out
    per_project = Counter(Task.objects.values_list("project__name", flat=True))
    assert sorted(per_project.values()) == [4, 4, 4]
    assert len({name.rsplit(" ", 1)[0] for name in per_project}) == 3
    # Its first event is the 60 rounds of 45 minutes back from now (the last round ends now).
    first = Event.objects.order_by("position").values_list("recorded_at", flat=True).first()
    assert timedelta(minutes=45 * 60) <= clock.now() - first < timedelta(minutes=45 * 60 + 10)


def test_by_default_it_runs_in_its_own_file_and_leaves_the_configured_database_alone(
    settings, tmp_path, capsys
) -> None:
    settings.DATA_DIR = tmp_path
    (tmp_path / "simulation.sqlite3").write_text("a previous run's file, replaced")

    call_command("simulate", tasks=4, contributors=2, reviewers=3, rounds=20, seed=1, no_progress=True)

    out = capsys.readouterr().out
    assert "Simulation finished; every check passed." in out
    assert str(tmp_path / "simulation.sqlite3") in out
    assert Event.objects.count() == 0
    with sqlite3.connect(tmp_path / "simulation.sqlite3") as kept:
        [(events,)] = kept.execute("SELECT count(*) FROM eventstore_event").fetchall()
    assert events > 0


def test_it_refuses_a_database_that_holds_events_unless_told_to_add_to_it(capsys) -> None:
    make_user("ops")  # registering a person appends events
    before = Event.objects.count()
    assert before > 0

    with pytest.raises(CommandError, match="--into-existing"):
        call_command("simulate", here=True, **SMALL)
    assert Event.objects.count() == before

    call_command("simulate", here=True, into_existing=True, **{**SMALL, "tasks": 4, "rounds": 20})
    assert Event.objects.count() > before


def test_the_simulation_plants_biased_and_careless_contributors_and_the_report_finds_exactly_them(
    capsys,
) -> None:
    with chance.pinned_coin(None):  # the run draws its claims' orders from its seed
        call_command("simulate", here=True, no_progress=True, **PLANTED)

    out = capsys.readouterr().out
    assert "Simulation finished; every check passed." in out  # flags exactly the planted: checked
    found = re.search(
        r"planted 1 position-biased contributors \((\d) measurable.*and 1 careless \((\d) with 4 gold "
        r"answers, \d of them 12\); the report flags position bias on (\d), the gold bar on (\d)",
        out,
    )
    assert found, out
    biased, careless, bias_flags, gold_flags = map(int, found.groups())
    # The workload is big enough for each planted person to be measured, and found.
    assert (biased, careless, bias_flags) == (1, 1, 1)
    assert gold_flags >= 1


def test_the_agreement_check_compares_only_pools_big_enough_among_mostly_careful_judges() -> None:
    # The planted run's first CI failure: 2 careful judges of 4, 10 pairs each, decided by chance.
    assert compare_agreement((4, 10), (5, 10), planted_share=0.5).startswith("not compared: 50%")
    assert compare_agreement((120, 160), (4, 14), planted_share=0.1).startswith("not compared: under 15")
    assert compare_agreement((120, 160), (5, 20), planted_share=0.1) == AGREEMENT_SEPARATES
    assert compare_agreement((120, 160), (15, 20), planted_share=0.1) == AGREEMENT_FAILS
