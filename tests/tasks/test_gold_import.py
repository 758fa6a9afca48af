"""Gold is decided at import: JSON and JSONL rows carry ``gold``, CSV rows ``gold_preference`` and
``gold_explanation``; bad gold fails its row only; importing an external id again never adds gold."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marlin.eventstore.models import Event
from tasks.models import GoldTask, Task
from tests.factories import client_for, make_project, make_user, task_row
from tests.tasks.test_import import csv_file

pytestmark = pytest.mark.django_db

WHY = "B checks the empty input; A indexes the first element without a check."


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


@pytest.fixture
def project():
    return make_project()


def url(project) -> str:
    return f"/api/v1/projects/{project.id}/tasks/"


def gold_of(external_id: str) -> tuple[str, str] | None:
    row = GoldTask.objects.filter(task__external_id=external_id).values_list("preference", "explanation")
    return row.first()


def test_a_json_row_with_gold_makes_a_gold_task_recorded_in_its_import_event(ops, project) -> None:
    response = ops.post(
        url(project),
        [task_row("g1", gold={"preference": "B", "explanation": WHY}), task_row("plain")],
        format="json",
    )

    assert response.json() == {"created": 2, "skipped": 0, "errors": []}
    assert gold_of("g1") == ("B", WHY)
    assert gold_of("plain") is None
    data = {e.data["external_id"]: e.data for e in Event.objects.filter(type="TaskImported")}
    assert data["g1"]["gold"] == {"preference": "B", "explanation": WHY}
    assert data["plain"]["gold"] is None


def test_bad_gold_fails_that_row_only(ops, project) -> None:
    rows = [
        task_row("ok", gold={"preference": "tie", "explanation": "Both are equally right."}),
        task_row("bad-pref", gold={"preference": "C", "explanation": WHY}),
        task_row("no-why", gold={"preference": "A"}),
        task_row("not-object", gold="A"),
    ]

    answer = ops.post(url(project), rows, format="json").json()

    assert (answer["created"], answer["skipped"]) == (1, 0)
    assert [(e["row"], list(e["errors"])) for e in answer["errors"]] == [
        (2, ["gold"]),
        (3, ["gold"]),
        (4, ["gold"]),
    ]
    assert "A, B or tie" in answer["errors"][0]["errors"]["gold"][0]
    assert list(Task.objects.values_list("external_id", flat=True)) == ["ok"]


def test_a_jsonl_file_carries_gold_like_json(ops, project) -> None:
    lines = [
        task_row("g1", gold={"preference": "A", "explanation": WHY}),
        task_row("g2", gold={"preference": "Z", "explanation": WHY}),
    ]
    upload = SimpleUploadedFile("tasks.jsonl", "\n".join(json.dumps(line) for line in lines).encode())

    answer = ops.post(url(project), {"file": upload}, format="multipart").json()

    assert (answer["created"], [e["row"] for e in answer["errors"]]) == (1, [2])
    assert gold_of("g1") == ("A", WHY)


def test_csv_gold_columns_make_gold_tasks_and_blank_ones_ordinary_tasks(ops, project) -> None:
    rows = [
        task_row("g1", gold_preference="B", gold_explanation=WHY),
        task_row("plain", gold_preference="", gold_explanation=""),
        task_row("bad", gold_preference="maybe", gold_explanation=WHY),
        task_row("half", gold_preference="A", gold_explanation=""),
    ]

    answer = ops.post(url(project), {"file": csv_file(rows)}, format="multipart").json()

    assert answer["created"] == 2
    assert [(e["row"], list(e["errors"])) for e in answer["errors"]] == [(3, ["gold"]), (4, ["gold"])]
    assert gold_of("g1") == ("B", WHY)
    assert gold_of("plain") is None


def test_a_csv_without_gold_columns_still_imports(ops, project) -> None:
    answer = ops.post(url(project), {"file": csv_file([task_row("a")])}, format="multipart").json()

    assert answer == {"created": 1, "skipped": 0, "errors": []}


def test_importing_an_external_id_again_never_adds_gold_to_it(ops, project) -> None:
    ops.post(url(project), [task_row("t1")], format="json")
    events = Event.objects.count()

    again = ops.post(
        url(project), [task_row("t1", gold={"preference": "A", "explanation": WHY})], format="json"
    ).json()

    assert again == {"created": 0, "skipped": 1, "errors": []}
    assert Event.objects.count() == events
    assert gold_of("t1") is None
