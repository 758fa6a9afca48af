"""The admin shows the log and the read tables, and lets nobody edit them."""

from __future__ import annotations

import pytest

from tests.factories import import_tasks, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = make_user(is_superuser=True)
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "path",
    ["/admin/eventstore/event/", "/admin/tasks/task/", "/admin/tasks/project/",
     "/admin/reviews/reviewassignment/", "/admin/payments/payoutentry/", "/admin/payments/statement/",
     "/admin/people/user/"],
)  # fmt: skip
def test_the_admin_lists_every_read_table(admin_client, path) -> None:
    make_project()

    assert admin_client.get(path).status_code == 200


def test_read_tables_cannot_be_changed_in_the_admin(admin_client) -> None:
    project = make_project()
    [task_id] = import_tasks(project, 1)

    page = admin_client.get(f"/admin/tasks/task/{task_id}/change/")
    posted = admin_client.post(f"/admin/tasks/task/{task_id}/change/", {"status": "approved"})

    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert posted.status_code == 403
    assert admin_client.get("/admin/tasks/task/add/").status_code == 403


def test_a_persons_profile_is_read_only_in_the_admin(admin_client) -> None:
    person = make_user("contributor")

    page = admin_client.get(f"/admin/people/user/{person.pk}/change/").content.decode()

    assert 'name="capacity"' not in page
    assert 'name="is_staff"' in page
