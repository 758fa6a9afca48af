"""Project ``overlap``: each imported item becomes that many sibling tasks (``X``, ``X#2``, ...;
a shared ``item``), each paid, and never two of them to one contributor, even under concurrent
claims."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import pytest
from django.db import connection

from marlin.kernel.errors import DomainError
from tasks import commands
from tasks.commands import task_claim, task_release, task_submit
from tasks.importing import task_import
from tasks.models import Project, Task
from tests.factories import client_for, judgment, make_project, make_user, task_row

pytestmark = pytest.mark.django_db


def import_items(project: Project, *names: str) -> dict[str, int]:
    result = task_import(
        actor_id=None, project_id=project.id, rows=[(n, task_row(name)) for n, name in enumerate(names, 1)]
    )
    return {"created": result.created, "skipped": result.skipped}


def tasks_of(project: Project) -> list[tuple[str, str]]:
    return sorted(Task.objects.filter(project=project).values_list("external_id", "item"))


def claim_and_submit(contributor) -> Task | None:
    task = task_claim(contributor_id=contributor.pk)
    if task is not None:
        task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=judgment())
    return task


def test_an_item_becomes_overlap_sibling_tasks_with_the_same_content_and_a_shared_item() -> None:
    project = make_project(overlap=3)

    counts = import_items(project, "q1", "q2")

    assert counts == {"created": 6, "skipped": 0}
    assert tasks_of(project) == [
        ("q1", "q1"),
        ("q1#2", "q1"),
        ("q1#3", "q1"),
        ("q2", "q2"),
        ("q2#2", "q2"),
        ("q2#3", "q2"),
    ]
    siblings = Task.objects.filter(project=project, item="q1")
    assert {(t.prompt, t.response_a, t.response_b, t.model_a, t.model_b, t.rate) for t in siblings} == {
        (
            "Write a function for case q1.",
            "def f(xs):\n    return sorted(set(xs))",
            "def f(xs):\n    return list(set(xs))",
            "atlas-70b",
            "corvid-xl",
            project.rate,
        )
    }


def test_importing_again_skips_every_sibling_and_a_repeated_row_counts_its_siblings() -> None:
    project = make_project(overlap=2)
    import_items(project, "q1")

    assert import_items(project, "q1") == {"created": 0, "skipped": 2}
    assert import_items(project, "q2", "q2") == {"created": 2, "skipped": 2}


def test_a_changed_overlap_applies_to_items_imported_afterwards() -> None:
    project = make_project()
    import_items(project, "before")
    ops = client_for(make_user("ops"))

    answer = ops.patch(f"/api/v1/projects/{project.id}/", {"overlap": 3}, format="json")
    import_items(project, "after")

    assert (answer.status_code, answer.json()["overlap"]) == (200, 3)
    assert tasks_of(project) == [
        ("after", "after"),
        ("after#2", "after"),
        ("after#3", "after"),
        ("before", "before"),
    ]
    # Importing the earlier item again adds the siblings it lacks and keeps the task it has.
    assert import_items(project, "before") == {"created": 2, "skipped": 1}
    assert Task.objects.filter(project=project, item="before").count() == 3


@pytest.mark.parametrize("overlap", [0, 6, -1, True, None, 2.5, "two"])
def test_an_overlap_outside_1_to_5_is_refused_and_changes_nothing(overlap) -> None:
    project = make_project()
    ops = client_for(make_user("ops"))

    answer = ops.patch(f"/api/v1/projects/{project.id}/", {"overlap": overlap}, format="json")

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid"
    assert "overlap" in answer.json()["error"]["fields"]
    assert Project.objects.get(pk=project.pk).overlap == 1


def test_ops_and_the_contributor_read_the_tasks_item() -> None:
    project = make_project(overlap=2)
    import_items(project, "q1")
    contributor = make_user("contributor")
    task = task_claim(contributor_id=contributor.pk)

    mine = client_for(contributor).get(f"/api/v1/tasks/{task.id}/").json()
    listed = client_for(make_user("ops")).get("/api/v1/tasks/", {"project": str(project.id)}).json()

    assert mine["item"] == "q1"
    listed_items = sorted((row["external_id"], row["item"]) for row in listed["results"])
    assert listed_items == [("q1", "q1"), ("q1#2", "q1")]


def test_a_contributor_never_gets_a_second_sibling_of_an_item() -> None:
    project = make_project(overlap=3)
    import_items(project, "q1", "q2")
    alice, bob = make_user("contributor"), make_user("contributor")

    first = claim_and_submit(alice)
    second = claim_and_submit(alice)
    third = claim_and_submit(alice)
    bobs = claim_and_submit(bob)

    assert (first.item, second.item, third) == ("q1", "q2", None)  # nothing of q1 or q2 is left for her
    assert bobs.item == "q1"  # while q1's other siblings stay open to everyone else


def test_a_released_sibling_gives_the_item_back() -> None:
    """Only a task that is theirs (held, submitted or decided) rules an item out for a contributor:
    one they released was never judged by them, so they may take any sibling of it later."""
    project = make_project(overlap=2)
    import_items(project, "q1")
    alice = make_user("contributor")
    held = task_claim(contributor_id=alice.pk)
    task_release(contributor_id=alice.pk, task_id=held.id)

    again = claim_and_submit(alice)

    assert again.item == "q1"
    assert claim_and_submit(alice) is None


def test_a_claim_naming_the_project_skips_siblings_too() -> None:
    project = make_project(overlap=2)
    import_items(project, "q1")
    alice = make_user("contributor")
    claim_and_submit(alice)

    answer = client_for(alice).post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json")

    assert answer.status_code == 204


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_give_two_siblings_to_one_contributor() -> None:
    """Six contributors, each claiming and submitting from two threads at once, work through ten
    items of three siblings: every task is taken, and nobody judged any item twice."""
    project = make_project(overlap=3)
    import_items(project, *(f"q{n}" for n in range(1, 11)))
    people = [make_user("contributor") for _ in range(6)]
    start = threading.Barrier(12, timeout=30)

    def work(person) -> None:
        try:
            start.wait()
            while True:
                try:
                    if commands.task_claim(contributor_id=person.pk) is None:
                        return
                except DomainError:  # their other thread holds a claim: try again once it submits
                    continue
                held = Task.objects.filter(contributor_id=person.pk, status="claimed").first()
                if held is not None:
                    with suppress(DomainError):  # the other thread submitted it first
                        task_submit(contributor_id=person.pk, task_id=held.id, judgment=judgment())
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(work, people * 2))

    taken = list(Task.objects.filter(project=project).values_list("contributor_id", "item", "status"))
    assert Counter(status for _, _, status in taken) == {"in_review": 30}
    per_person_and_item = Counter((contributor, item) for contributor, item, _ in taken)
    assert max(per_person_and_item.values()) == 1
