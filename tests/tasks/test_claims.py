"""Claiming: best task first, one at a time, release, expiry, many claimers at once."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from marlin.kernel import clock
from people.commands import person_update
from tasks import commands
from tasks.importing import task_import
from tasks.jobs import expire_stale_claims_job
from tasks.models import Task
from tests.factories import client_for, import_tasks, make_project, make_user, task_row
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return make_project()


def claim(client, **body):
    return client.post("/api/v1/tasks/claim/", body, format="json")


def test_the_highest_priority_then_oldest_open_task_is_claimed(project) -> None:
    rows = [task_row("low"), task_row("high-1", priority=9), task_row("high-2", priority=9)]
    task_import(actor_id=None, project_id=project.id, rows=list(enumerate(rows, 1)))
    later = make_project()
    import_tasks(later, 1, prefix="newer-high", priority=9)
    alice = client_for(make_user("contributor"))

    response = claim(alice)

    assert response.status_code == 201
    body = response.json()
    assert (body["external_id"], body["status"]) == ("high-1", "claimed")
    assert body["claim_expires_at"]
    assert "model_a" not in body


def test_claiming_with_no_open_task_is_204(project) -> None:
    assert claim(client_for(make_user("contributor"))).status_code == 204


def test_one_claim_at_a_time(project) -> None:
    import_tasks(project, 2)
    alice = client_for(make_user("contributor"))
    claim(alice)

    second = claim(alice)

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "claim_held"


def test_the_claim_held_refusal_names_the_task_held(project) -> None:
    import_tasks(project, 2)
    alice = client_for(make_user("contributor"))
    held = claim(alice).json()["id"]

    error = claim(alice).json()["error"]

    assert (error["code"], error["details"]) == ("claim_held", {"task": held})


def test_claiming_in_a_project_whose_skills_you_lack_is_403_naming_the_missing_skills() -> None:
    rust = make_project(required_skills=["rust", "sql", "python"])
    import_tasks(rust, 1)
    alice = client_for(make_user("contributor", skills=["python"]))

    response = claim(alice, project=str(rust.id))

    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "missing_skill"
    assert error["details"] == {"missing_skills": ["rust", "sql"]}


def test_claiming_in_an_unknown_or_inactive_project_stays_404(project) -> None:
    rust = make_project(required_skills=["rust"])
    commands.project_pause(actor_id=None, project_id=rust.id)
    alice = client_for(make_user("contributor", skills=["python"]))

    assert claim(alice, project=str(uuid.uuid4())).status_code == 404
    assert claim(alice, project=str(rust.id)).status_code == 404
    commands.project_pause(actor_id=None, project_id=project.id)
    assert claim(alice, project=str(project.id)).status_code == 404


def test_claims_can_stay_within_one_project(project) -> None:
    other = make_project()
    import_tasks(project, 1, priority=9)
    import_tasks(other, 1, prefix="o")

    body = claim(client_for(make_user("contributor")), project=str(other.id)).json()

    assert body["project"] == str(other.id)


def test_paused_projects_and_missing_skills_hand_out_nothing(project) -> None:
    rust = make_project(required_skills=["rust"])
    import_tasks(rust, 1)
    import_tasks(project, 1)
    commands.project_pause(actor_id=None, project_id=project.id)

    assert claim(client_for(make_user("contributor", skills=["python"]))).status_code == 204
    assert claim(client_for(make_user("contributor", skills=["rust"]))).status_code == 201


def test_only_contributors_claim_and_deactivated_ones_cannot_even_sign_in(project) -> None:
    import_tasks(project, 1)

    assert claim(client_for(make_user("reviewer"))).status_code == 403
    assert claim(client_for(make_user("contributor", active=False))).status_code == 401


def test_the_claimant_releases_and_the_next_claim_gets_the_task(project) -> None:
    [task_id] = import_tasks(project, 1)
    alice, bob = client_for(make_user("contributor")), client_for(make_user("contributor"))
    claim(alice)

    released = alice.post(f"/api/v1/tasks/{task_id}/release/")

    assert released.status_code == 200
    assert released.json()["status"] == "open"
    assert claim(bob).json()["id"] == str(task_id)


def test_someone_elses_claim_cannot_be_released_or_even_seen(project) -> None:
    [task_id] = import_tasks(project, 1)
    alice, bob = client_for(make_user("contributor")), client_for(make_user("contributor"))
    claim(alice)

    assert bob.post(f"/api/v1/tasks/{task_id}/release/").status_code == 404
    assert Task.objects.get(pk=task_id).status == "claimed"


def test_an_expired_claim_returns_the_task_to_open_and_the_next_claim_gets_it(project) -> None:
    [task_id] = import_tasks(project, 1)
    alice, bob = make_user("contributor"), make_user("contributor")
    with clock.pinned_at(clock.now() - timedelta(minutes=121)):
        commands.task_claim(contributor_id=alice.pk)
    assert claim(client_for(bob)).status_code == 204

    assert expire_stale_claims_job() == 1

    task = Task.objects.get(pk=task_id)
    assert (task.status, task.contributor_id) == ("open", None)
    assert claim(client_for(bob)).json()["id"] == str(task_id)
    assert client_for(alice).get(f"/api/v1/tasks/{task_id}/").status_code == 404


def test_a_claim_within_its_timeout_is_not_expired(project) -> None:
    import_tasks(project, 1)
    commands.task_claim(contributor_id=make_user("contributor").pk)

    assert expire_stale_claims_job() == 0


def test_deactivating_a_contributor_releases_their_claim(project) -> None:
    [task_id] = import_tasks(project, 1)
    alice = make_user("contributor")
    commands.task_claim(contributor_id=alice.pk)

    person_update(actor_id=None, user_id=alice.pk, fields={"active": False})
    settle()

    assert Task.objects.get(pk=task_id).status == "open"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_claimers_on_100_tasks_get_100_distinct_claims(project) -> None:
    import_tasks(project, 100)
    claimers = [make_user("contributor") for _ in range(200)]
    start = threading.Barrier(64, timeout=30)
    results: list[str | None] = []
    lock = threading.Lock()

    def run(batch: list) -> None:
        try:
            start.wait()
            for person in batch:
                task = commands.task_claim(contributor_id=person.pk)
                with lock:
                    results.append(str(task.id) if task else None)
        finally:
            connection.close()

    # 64 threads (PostgreSQL here allows 100 connections), each claiming for its share of people.
    batches = [claimers[i::64] for i in range(64)]
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(run, batches))

    claimed = [r for r in results if r is not None]
    assert len(results) == 200
    assert len(claimed) == 100
    assert len(set(claimed)) == 100
    assert results.count(None) == 100
    holders = Task.objects.filter(status="claimed").values_list("contributor_id", flat=True)
    assert len(set(holders)) == 100


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_person_claiming_twice_at_once_gets_one_claim(project) -> None:
    import_tasks(project, 5)
    alice = make_user("contributor")
    start = threading.Barrier(4, timeout=10)
    outcomes: list[str] = []

    def run() -> None:
        try:
            start.wait()
            commands.task_claim(contributor_id=alice.pk)
            outcomes.append("claimed")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes.count("claimed") == 1
    assert Task.objects.filter(contributor=alice, status="claimed").count() == 1
