"""Projections: applied in the command's transaction, rebuilt from the log exactly."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from marlin import projections
from marlin.projections import table_rows
from tests.support.echo import ping
from tests.support.models import PingTally

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple]]:
    return {model._meta.db_table: list(table_rows(model)) for model in projections.owned_tables()}


def test_a_command_reads_its_own_writes_in_the_projection() -> None:
    ping("alice")

    assert PingTally.objects.get(name="alice").count == 1


def test_rebuild_gives_exactly_the_live_rows(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ["alice", "bob", "alice", "carol", "alice"]:
        ping(name)
    live = snapshot()
    assert live["support_pingtally"]

    call_command("rebuild_projections", no_progress=True)

    assert snapshot() == live
    assert "Replayed 5 events" in capsys.readouterr().out


def test_rebuild_repairs_a_projection_that_drifted_from_the_log() -> None:
    ping("alice")
    live = snapshot()
    PingTally.objects.filter(name="alice").update(count=99)

    call_command("rebuild_projections", no_progress=True)

    assert snapshot() == live


def test_verify_events_detects_a_projection_that_differs_from_the_log() -> None:
    ping("alice")
    PingTally.objects.create(name="ghost", count=1, last_at=PingTally.objects.get().last_at)

    with pytest.raises(CommandError, match="support_pingtally differs"):
        call_command("verify_events", no_progress=True)
    assert PingTally.objects.filter(name="ghost").exists(), "verification must not change anything"


def test_every_app_projector_registers_its_tables() -> None:
    names = [projector.name for projector in projections.registered()]

    assert len(names) == len(set(names))
    assert "support-tally" in names
