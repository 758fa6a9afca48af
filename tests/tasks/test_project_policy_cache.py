"""The project policy commands decide on is cached, and the events that change it replace it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.commands import project_pause, project_resume, project_update
from tasks.selectors import project_policy
from tests.factories import make_project

pytestmark = pytest.mark.django_db


def test_a_command_reads_the_policy_without_a_query_once_cached() -> None:
    project = make_project()
    project_policy(project.id)

    with CaptureQueriesContext(connection) as queries:
        policy = project_policy(project.id)

    assert (policy.project_id, len(queries.captured_queries)) == (project.id, 0)


def test_pausing_and_resuming_replace_the_cached_policy() -> None:
    project = make_project()
    assert project_policy(project.id).status == "active"

    project_pause(actor_id=None, project_id=project.id)
    assert project_policy(project.id).status == "paused"

    project_resume(actor_id=None, project_id=project.id)
    assert project_policy(project.id).status == "active"


def test_changed_settings_replace_the_cached_policy() -> None:
    project = make_project()
    layers = project_policy(project.id).review_layers

    project_update(actor_id=None, project_id=project.id, fields={"review_layers": layers + 1})

    assert project_policy(project.id).review_layers == layers + 1
