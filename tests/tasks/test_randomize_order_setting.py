"""The project setting ``randomize_order``: on by default, changed by ops like any setting, and
read by the claim through the project's policy."""

from __future__ import annotations

import pytest

from marlin.kernel import chance
from tasks.commands import project_update, task_claim
from tasks.models import Task
from tasks.selectors import project_policy
from tests.factories import client_for, import_tasks, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


def test_randomize_order_is_on_by_default_and_ops_turn_it_off(ops) -> None:
    created = ops.post("/api/v1/projects/", {"name": "Order"}, format="json").json()
    assert created["randomize_order"] is True

    changed = ops.patch(f"/api/v1/projects/{created['id']}/", {"randomize_order": False}, format="json")

    assert changed.status_code == 200
    assert changed.json()["randomize_order"] is False
    assert ops.get(f"/api/v1/projects/{created['id']}/").json()["randomize_order"] is False


def test_a_project_may_be_created_with_randomize_order_off(ops) -> None:
    body = ops.post("/api/v1/projects/", {"name": "Fixed", "randomize_order": False}, format="json").json()

    assert body["randomize_order"] is False


def test_randomize_order_must_be_a_boolean(ops) -> None:
    response = ops.post("/api/v1/projects/", {"name": "Bad", "randomize_order": "sometimes"}, format="json")

    assert response.status_code == 400
    assert "randomize_order" in response.json()["error"]["fields"]


def test_contributors_do_not_see_the_setting() -> None:
    make_project(name="Visible")
    body = client_for(make_user("contributor")).get("/api/v1/projects/").json()

    assert body["results"]
    assert all("randomize_order" not in project for project in body["results"])


def test_turning_it_off_applies_to_the_next_claim() -> None:
    project = make_project()
    import_tasks(project, 2)
    project_update(actor_id=None, project_id=project.id, fields={"randomize_order": False})
    assert project_policy(project.id).randomize_order is False

    with chance.pinned_coin(True):
        task = task_claim(contributor_id=make_user("contributor").pk, project_id=project.id)

    assert task is not None
    assert Task.objects.get(pk=task.id).presented_swapped is False
