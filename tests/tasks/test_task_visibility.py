"""Who sees which tasks: restricted in the query, so lists never show what detail refuses."""

from __future__ import annotations

import pytest

from people.models import User
from tasks import commands
from tests.factories import client_for, import_tasks, judgment, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    project = make_project()
    ids = import_tasks(project, 4)
    alice, bob = make_user("contributor"), make_user("contributor")
    alice_task = commands.task_claim(contributor_id=alice.pk)
    commands.task_submit(contributor_id=alice.pk, task_id=alice_task.id, judgment=judgment())
    bob_task = commands.task_claim(contributor_id=bob.pk)
    return {
        "project": project,
        "ids": ids,
        "alice": alice,
        "bob": bob,
        "alice_task": alice_task.id,
        "bob_task": bob_task.id,
    }


def listed(client, **params) -> list[str]:
    return [t["id"] for t in client.get("/api/v1/tasks/", params).json()["results"]]


def test_a_contributor_lists_and_reads_only_their_own_tasks(world) -> None:
    alice = client_for(world["alice"])

    assert listed(alice) == [str(world["alice_task"])]
    assert alice.get(f"/api/v1/tasks/{world['alice_task']}/").status_code == 200
    assert alice.get(f"/api/v1/tasks/{world['bob_task']}/").status_code == 404
    open_task = next(i for i in world["ids"] if i not in (world["alice_task"], world["bob_task"]))
    assert alice.get(f"/api/v1/tasks/{open_task}/").status_code == 404


def test_ops_list_everything_with_filters_and_see_the_models(world) -> None:
    ops = client_for(make_user("ops"))

    everything = ops.get("/api/v1/tasks/").json()
    in_review = listed(ops, status="in_review")
    claimed_or_open = ops.get("/api/v1/tasks/", {"status": ["claimed", "open"]}).json()["count"]

    assert everything["count"] == 4
    assert everything["results"][0]["model_a"] == "atlas-70b"
    assert in_review == [str(world["alice_task"])]
    assert claimed_or_open == 3
    assert ops.get("/api/v1/tasks/", {"status": "nonsense"}).status_code == 400


def test_contributors_never_see_which_model_wrote_which_answer(world) -> None:
    body = client_for(world["alice"]).get(f"/api/v1/tasks/{world['alice_task']}/").json()

    assert "model_a" not in body
    assert "model_b" not in body


def test_a_reviewer_with_no_assignments_sees_no_tasks(world) -> None:
    reviewer = client_for(make_user("reviewer"))

    assert listed(reviewer) == []
    assert reviewer.get(f"/api/v1/tasks/{world['alice_task']}/").status_code == 404


def test_history_is_the_tasks_events_oldest_first_without_models_for_the_contributor(world) -> None:
    alice = client_for(world["alice"])
    ops = client_for(make_user("ops"))

    mine = alice.get(f"/api/v1/tasks/{world['alice_task']}/history/").json()
    full = ops.get(f"/api/v1/tasks/{world['alice_task']}/history/").json()

    assert [e["type"] for e in mine] == ["TaskImported", "TaskClaimed", "JudgmentSubmitted"]
    assert "model_a" not in mine[0]["data"]
    assert "actor" not in mine[0]
    assert full[0]["data"]["model_a"] == "atlas-70b"
    assert client_for(world["bob"]).get(f"/api/v1/tasks/{world['alice_task']}/history/").status_code == 404


def test_an_unknown_or_malformed_task_id_is_404(world) -> None:
    ops = client_for(make_user("ops"))

    assert ops.get("/api/v1/tasks/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert ops.get("/api/v1/tasks/not-a-uuid/").status_code == 404


def test_list_queries_do_not_grow_with_the_number_of_tasks(django_assert_max_num_queries) -> None:
    project = make_project()
    ops = client_for(make_user("ops"))
    contributor = make_user("contributor")
    for ids in (import_tasks(project, 3, prefix="few"), import_tasks(project, 40, prefix="many")):
        assert ids
        task = commands.task_claim(contributor_id=contributor.pk)
        commands.task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=judgment())
    mine = client_for(contributor)

    with django_assert_max_num_queries(6):
        assert ops.get("/api/v1/tasks/", {"page_size": 100}).json()["count"] == 43
    with django_assert_max_num_queries(6):
        assert mine.get("/api/v1/tasks/").json()["count"] == 2
    with django_assert_max_num_queries(6):
        ops.get("/api/v1/people/", {"page_size": 100})
    with django_assert_max_num_queries(6):
        ops.get("/api/v1/projects/")


def test_someone_working_on_a_task_never_sees_its_model_names_whatever_roles_a_row_holds() -> None:
    project = make_project()
    import_tasks(project, 1)
    legacy = make_user("contributor")
    User.objects.filter(pk=legacy.pk).update(is_ops=True)  # a row from before separation of duties
    legacy.refresh_from_db()

    claimed = client_for(legacy).post("/api/v1/tasks/claim/", {}, format="json")

    assert claimed.status_code == 201
    assert "model_a" not in claimed.json()
    assert "model_a" not in client_for(legacy).get(f"/api/v1/tasks/{claimed.json()['id']}/").json()
    assert all("model_a" not in task for task in client_for(legacy).get("/api/v1/tasks/").json()["results"])
