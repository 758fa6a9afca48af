"""The gold bar: projects set ``gold_min_accuracy`` and ``gold_min_answers``; a contributor below it
is suspended from claiming there (403 ``suspended``; a claim naming no project skips it); ops list
suspensions and lift them, after which only new gold answers count."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from marlin import reactors
from marlin.eventstore.models import Event
from tasks import commands
from tasks.commands import task_claim, task_release, task_submit
from tasks.models import GoldTally, Suspension
from tests.factories import client_for, judgment, make_project, make_user, task_row
from tests.support.settle import settle
from tests.tasks.test_gold_tasks import WHY, gold, import_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


def test_the_gold_bar_is_off_by_default_and_set_through_the_api(ops) -> None:
    created = ops.post("/api/v1/projects/", {"name": "Gold"}, format="json").json()
    assert (created["gold_min_accuracy"], created["gold_min_answers"]) == (None, 5)

    changed = ops.patch(
        f"/api/v1/projects/{created['id']}/",
        {"gold_min_accuracy": "0.75", "gold_min_answers": 3},
        format="json",
    ).json()
    assert (changed["gold_min_accuracy"], changed["gold_min_answers"]) == ("0.750", 3)

    off = ops.patch(f"/api/v1/projects/{created['id']}/", {"gold_min_accuracy": None}, format="json").json()
    assert off["gold_min_accuracy"] is None
    contributor = client_for(make_user("contributor")).get(f"/api/v1/projects/{created['id']}/").json()
    assert "gold_min_accuracy" not in contributor


@pytest.mark.parametrize(
    "body", [{"gold_min_accuracy": "1.5"}, {"gold_min_accuracy": -1}, {"gold_min_answers": 0}]
)
def test_a_bar_out_of_range_is_refused(ops, body) -> None:
    project = make_project()

    response = ops.patch(f"/api/v1/projects/{project.id}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(body)


@pytest.fixture
def barred():
    """A project whose bar is 0.5 over 2 answers, with 6 gold tasks (gold: B), and another project."""
    project = make_project(review_layers=1, gold_min_accuracy="0.5", gold_min_answers=2)
    import_rows(project, *(task_row(f"g{n}", gold=gold("B")) for n in range(1, 7)))
    other = make_project(review_layers=1)
    import_rows(other, task_row("elsewhere"))
    alice = make_user("contributor")
    return project, other, alice, client_for(alice)


def answer(client, project, preference: str) -> int:
    """Claim in the project and submit ``preference``; score it. The claim's status."""
    claim = client.post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json")
    if claim.status_code != 201:
        return claim.status_code
    body = {"preference": preference, "strength": 2, "rationale": WHY + " " + WHY, "time_spent_minutes": 40}
    body["scores"] = {name: {"a": 3, "b": 4} for name in project.criteria}
    submitted = client.post(f"/api/v1/tasks/{claim.json()['id']}/submissions/", body, format="json")
    assert submitted.status_code == 201, submitted.content
    settle()
    return 201


def test_a_contributor_below_the_bar_is_suspended_and_refused_a_claim_there(barred) -> None:
    project, _, alice, client = barred
    assert answer(client, project, "A") == 201
    assert not Suspension.objects.exists()  # one answer: too few to judge
    assert answer(client, project, "B") == 201
    assert not Suspension.objects.exists()  # 1 of 2: 0.5 is the bar, not below it
    assert answer(client, project, "A") == 201

    [suspension] = Suspension.objects.all()
    assert (suspension.contributor_id, suspension.gold_answers, suspension.gold_correct) == (alice.pk, 3, 1)
    refused = client.post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "suspended"
    assert Event.objects.filter(type="ContributorSuspended").count() == 1


def test_a_claim_naming_no_project_skips_the_one_that_suspended_the_contributor(barred) -> None:
    project, other, alice, client = barred
    for preference in ("A", "A"):
        answer(client, project, preference)
    assert Suspension.objects.filter(lifted_at__isnull=True).count() == 1

    claimed = client.post("/api/v1/tasks/claim/", {}, format="json")

    assert claimed.status_code == 201
    assert claimed.json()["project"] == str(other.id)
    task_release(contributor_id=alice.pk, task_id=claimed.json()["id"])
    again = client.post("/api/v1/tasks/claim/", {}, format="json")
    assert again.status_code == 201  # the other project's task again, never a gold one
    assert again.json()["project"] == str(other.id)


def test_ops_list_and_lift_a_suspension_and_only_new_answers_count_afterwards(barred, ops) -> None:
    project, _, alice, client = barred
    for preference in ("A", "A"):
        answer(client, project, preference)
    url = f"/api/v1/projects/{project.id}/suspensions/"

    [listed] = ops.get(url).json()["results"]
    assert listed["person"] == alice.pk
    assert (listed["gold_answers"], listed["gold_correct"], listed["gold_accuracy"]) == (2, 0, "0.000")
    assert (listed["lifted"], listed["lifted_at"], listed["min_accuracy"], listed["min_answers"]) == (
        False,
        None,
        "0.500",
        2,
    )

    lift = f"{url}{alice.pk}/lift/"
    lifted = ops.post(lift, HTTP_IDEMPOTENCY_KEY="lift-1")
    replayed = ops.post(lift, HTTP_IDEMPOTENCY_KEY="lift-1")
    again = ops.post(lift)

    assert lifted.status_code == 200
    assert lifted.json()["lifted"] is True
    assert replayed.json() == lifted.json()
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_suspended"
    assert Event.objects.filter(type="SuspensionLifted").count() == 1
    assert ops.get(url).json()["results"][0]["lifted_at"] is not None

    # After the lift the window counts afresh: one more miss is not enough evidence...
    assert answer(client, project, "A") == 201
    assert not Suspension.objects.filter(lifted_at__isnull=True).exists()
    tally = GoldTally.objects.get(contributor_id=alice.pk)
    assert (tally.answers, tally.correct, tally.window_answers) == (3, 0, 1)
    # ...two new misses are.
    assert answer(client, project, "A") == 201
    assert Suspension.objects.filter(lifted_at__isnull=True).count() == 1
    assert len(ops.get(url).json()["results"]) == 2


def test_lifting_someone_never_suspended_is_404_and_an_unknown_project_404(barred, ops) -> None:
    project, _, alice, _ = barred

    assert ops.post(f"/api/v1/projects/{project.id}/suspensions/{alice.pk}/lift/").status_code == 404
    unknown = "00000000-0000-0000-0000-000000000000"
    assert ops.get(f"/api/v1/projects/{unknown}/suspensions/").status_code == 404
    assert ops.post(f"/api/v1/projects/{unknown}/suspensions/{alice.pk}/lift/").status_code == 404


def test_without_a_bar_nobody_is_suspended(barred) -> None:
    project = make_project(review_layers=1)
    import_rows(project, *(task_row(f"g{n}", gold=gold("B")) for n in range(1, 4)))
    client = client_for(make_user("contributor"))

    for _ in range(3):
        assert answer(client, project, "A") == 201

    assert not Suspension.objects.exists()
    assert GoldTally.objects.get().answers == 3


def test_an_ordinary_submission_in_a_barred_project_counts_nothing(barred) -> None:
    project, _, alice, _ = barred
    import_rows(project, task_row("plain", priority=9))
    task = client_for(alice).post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json").json()
    assert task["external_id"] == "plain"
    task_submit(contributor_id=alice.pk, task_id=task["id"], judgment=judgment())
    settle()

    assert not GoldTally.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_gold_answers_scored_at_once_count_each_other(monkeypatch) -> None:
    """Two of one contributor's gold answers scored by two workers at the same moment: the
    second waits for the first and sees its count, so the bar is met on the second, not missed
    until a third (both are the contributor's first answers: there is no tally row to lock yet)."""
    read_window = commands.gold_window

    def slow_window(*args):  # widen the race: each scorer dwells after reading the tally
        window = read_window(*args)
        time.sleep(0.3)
        return window

    monkeypatch.setattr(commands, "gold_window", slow_window)
    project = make_project(review_layers=1, gold_min_accuracy="0.5", gold_min_answers=2)
    import_rows(project, *(task_row(f"g{n}", gold=gold("B")) for n in range(1, 3)))
    alice = make_user("contributor")
    answered = []
    with monkeypatch.context() as held:  # submitted, not scored: no reactor wakes for them
        held.setattr(reactors, "wake_for", lambda events: None)
        for _ in range(2):
            task = task_claim(contributor_id=alice.pk, project_id=project.id)
            task_submit(contributor_id=alice.pk, task_id=task.id, judgment=judgment(preference="A"))
            answered.append(task.id)
    assert not GoldTally.objects.filter(contributor=alice).exists()
    start = threading.Barrier(2, timeout=10)
    failures: list[BaseException] = []

    def score(task_id) -> None:
        try:
            connection.ensure_connection()
            start.wait()
            commands.gold_score(task_id=task_id, submission_version=1, preference="A")
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=score, args=(task_id,)) for task_id in answered]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    tally = GoldTally.objects.get(project=project, contributor=alice)
    assert (tally.answers, tally.correct) == (2, 0)
    assert Suspension.objects.filter(project=project, contributor=alice, lifted_at__isnull=True).count() == 1
