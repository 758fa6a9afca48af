"""``projects/``: ops create and steer projects; others read the active ones they qualify for."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tasks.models import Task
from tests.factories import client_for, import_tasks, make_project, make_user, task_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


def test_a_project_is_created_with_every_default_of_spec(ops) -> None:
    response = ops.post("/api/v1/projects/", {"name": "Judgments", "instructions": "Be fair."}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["rate"], body["currency"], body["review_layers"], body["max_revisions"]) == (
        "280.00",
        "USD",
        2,
        2,
    )
    assert (body["claim_timeout_minutes"], body["review_timeout_minutes"], body["status"]) == (
        120,
        1440,
        "active",
    )
    assert body["criteria"] == [
        "correctness",
        "efficiency",
        "readability",
        "best_practices",
        "instruction_following",
    ]


def test_a_rate_sent_as_a_json_number_stays_exact(ops) -> None:
    response = ops.post(
        "/api/v1/projects/", data='{"name": "P", "rate": 280.10}', content_type="application/json"
    )

    assert response.json()["rate"] == "280.10"


def test_a_new_rate_applies_to_tasks_imported_afterwards_only(ops) -> None:
    project = make_project()
    [before] = import_tasks(project, 1, prefix="before")

    ops.patch(f"/api/v1/projects/{project.id}/", {"rate": "300.00"}, format="json")
    [after] = import_tasks(project, 1, prefix="after")

    assert Task.objects.get(pk=before).rate == Decimal("280.00")
    assert Task.objects.get(pk=after).rate == Decimal("300.00")


def test_pause_and_resume(ops) -> None:
    project = make_project()

    paused = ops.post(f"/api/v1/projects/{project.id}/pause/")
    again = ops.post(f"/api/v1/projects/{project.id}/pause/")
    resumed = ops.post(f"/api/v1/projects/{project.id}/resume/")

    assert paused.json()["status"] == "paused"
    assert again.status_code == 409
    assert resumed.json()["status"] == "active"


def test_an_archived_project_takes_no_imports_and_no_changes(ops) -> None:
    project = make_project()
    ops.post(f"/api/v1/projects/{project.id}/archive/")

    imported = ops.post(f"/api/v1/projects/{project.id}/tasks/", [task_row("x")], format="json")
    changed = ops.patch(f"/api/v1/projects/{project.id}/", {"name": "New"}, format="json")

    assert changed.status_code == 409
    assert imported.status_code == 409
    assert imported.json()["error"]["code"] == "project_archived"
    assert not Task.objects.exists()


def test_an_archived_or_unknown_project_is_refused_before_its_settings_are_checked(ops) -> None:
    project = make_project()
    ops.post(f"/api/v1/projects/{project.id}/archive/")

    archived = ops.patch(f"/api/v1/projects/{project.id}/", {"review_layers": 99}, format="json")
    unknown = ops.patch(
        "/api/v1/projects/00000000-0000-0000-0000-000000000000/", {"review_layers": 99}, format="json"
    )

    assert (archived.status_code, archived.json()["error"]["code"]) == (409, "project_archived")
    assert unknown.status_code == 404


def test_invalid_settings_are_400_with_fields(ops) -> None:
    response = ops.post(
        "/api/v1/projects/", {"name": "P", "rate": "-5", "currency": "ZZZ", "review_layers": 9}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"rate", "currency", "review_layers"}


def test_contributors_see_only_active_projects_whose_skills_they_have() -> None:
    open_to_all = make_project(name="Open")
    make_project(name="Rust only", required_skills=["rust"])
    paused = make_project(name="Paused")
    ops = client_for(make_user("ops"))
    ops.post(f"/api/v1/projects/{paused.id}/pause/")
    contributor = client_for(make_user("contributor", skills=["python"]))

    listed = contributor.get("/api/v1/projects/").json()
    detail = contributor.get(f"/api/v1/projects/{open_to_all.id}/").json()

    assert [p["name"] for p in listed["results"]] == ["Open"]
    assert set(detail) == {
        "id",
        "name",
        "instructions",
        "rate",
        "currency",
        "criteria",
        "required_skills",
        "status",
    }
    assert contributor.get(f"/api/v1/projects/{paused.id}/").status_code == 404


def test_people_without_a_working_role_see_no_projects() -> None:
    make_project()

    assert client_for(make_user("finance")).get("/api/v1/projects/").json()["count"] == 0


@pytest.mark.parametrize("role", ["contributor", "reviewer", "finance"])
def test_only_ops_create_change_and_steer_projects(role) -> None:
    project = make_project()
    client = client_for(make_user(role))

    assert client.post("/api/v1/projects/", {"name": "X"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/projects/{project.id}/", {"name": "X"}, format="json").status_code == 403
    assert client.post(f"/api/v1/projects/{project.id}/pause/").status_code == 403
    assert client.post(f"/api/v1/projects/{project.id}/tasks/", [], format="json").status_code == 403
