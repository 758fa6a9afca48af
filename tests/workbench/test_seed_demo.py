"""``manage.py seed_demo`` (what ``make run`` runs): demo people, a project with its tasks, work
in flight and payouts, and nothing new the second time."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from marlin.eventstore.models import Event
from people.models import User
from tasks.models import Task

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_an_empty_database_and_a_second_run_adds_nothing(capsys) -> None:
    call_command("seed_demo")
    events = Event.objects.count()

    call_command("seed_demo")

    assert Task.objects.count() == 36
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "olga", "fred", "alice", "rita"}
    assert Event.objects.count() == events
    assert "payouts:" in capsys.readouterr().out
