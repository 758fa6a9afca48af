"""The ops dashboard page shows the queues to ops, and to nobody else."""

from __future__ import annotations

import pytest

from tests.factories import import_tasks, make_project, make_user, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def test_ops_see_the_queues_page_with_projects_and_reviewer_load(client) -> None:
    project = make_project(name="Dashboard project")
    import_tasks(project, 2)
    make_user("reviewer", username="rev-dash")
    submitted_task(project)
    settle()
    ops = make_user("ops")
    client.force_login(ops)

    page = client.get("/ops/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Dashboard project" in html
    assert "rev-dash" in html


def test_others_are_refused_and_strangers_sent_to_sign_in(client) -> None:
    assert client.get("/ops/").status_code == 302
    reviewer = make_user("reviewer")
    client.force_login(reviewer)

    assert client.get("/ops/").status_code == 403
