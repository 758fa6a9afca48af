"""Task import: JSON list, JSONL and CSV; idempotent by external id; bad rows reported."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marlin.eventstore.models import Event
from tasks.models import Task
from tasks.selectors import existing_task_ids
from tests.factories import client_for, import_tasks, make_project, make_user, task_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


@pytest.fixture
def project():
    return make_project()


def url(project) -> str:
    return f"/api/v1/projects/{project.id}/tasks/"


def csv_file(
    rows: list[dict], name: str = "tasks.csv", columns: list[str] | None = None
) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def test_a_json_list_is_imported_with_the_project_rate(ops, project) -> None:
    response = ops.post(
        url(project), [task_row("a"), task_row("b", priority=5, tags=["Python"])], format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"created": 2, "skipped": 0, "errors": []}
    task = Task.objects.get(external_id="b")
    assert (task.priority, task.tags, str(task.rate), task.status) == (5, ["python"], "280.00", "open")


def test_importing_the_same_tasks_again_creates_nothing(ops, project) -> None:
    rows = [task_row("a"), task_row("b")]
    ops.post(url(project), rows, format="json")
    events = Event.objects.count()

    again = ops.post(url(project), rows, format="json")

    assert again.json() == {"created": 0, "skipped": 2, "errors": []}
    assert Event.objects.count() == events


def test_a_duplicate_external_id_within_one_import_is_skipped(ops, project) -> None:
    response = ops.post(url(project), [task_row("a"), task_row("a", prompt="other")], format="json")

    assert response.json() == {"created": 1, "skipped": 1, "errors": []}


def test_a_csv_with_bad_rows_imports_the_good_ones_and_reports_the_rest(ops, project) -> None:
    rows = [
        task_row("good-1", tags="python, sql"),
        task_row("bad-1", prompt=""),
        task_row("good-2", priority="7"),
        task_row("bad-2", priority="high", model_a=""),
    ]

    columns = [*task_row("x"), "tags", "priority"]

    response = ops.post(url(project), {"file": csv_file(rows, columns=columns)}, format="multipart")

    body = response.json()
    assert (body["created"], body["skipped"]) == (2, 0)
    assert body["errors"] == [
        {"row": 2, "errors": {"prompt": ["is required"]}},
        {
            "row": 4,
            "errors": {
                "model_a": ["is required: text of 1 to 200 characters"],
                "priority": ["must be a whole number from -1000000 to 1000000"],
            },
        },
    ]
    assert set(Task.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}
    assert Task.objects.get(external_id="good-1").tags == ["python", "sql"]
    assert Task.objects.get(external_id="good-2").priority == 7


def test_a_jsonl_file_is_imported_and_a_broken_line_is_reported(ops, project) -> None:
    lines = [json.dumps(task_row("a")), "{broken", "", json.dumps(task_row("b"))]
    upload = SimpleUploadedFile("tasks.jsonl", "\n".join(lines).encode(), content_type="application/x-ndjson")

    body = ops.post(url(project), {"file": upload}, format="multipart").json()

    assert (body["created"], body["skipped"]) == (2, 0)
    assert body["errors"][0]["row"] == 2
    assert "not valid JSON" in body["errors"][0]["errors"]["row"][0]


def test_unknown_fields_make_a_row_invalid(ops, project) -> None:
    body = ops.post(url(project), [task_row("a", difficulty="hard")], format="json").json()

    assert body["errors"] == [{"row": 1, "errors": {"difficulty": ["unknown field"]}}]


def test_unknown_csv_columns_refuse_the_file(ops, project) -> None:
    rows = [task_row("a") | {"difficulty": "hard"}]

    response = ops.post(url(project), {"file": csv_file(rows)}, format="multipart")

    assert response.status_code == 400
    assert "unknown columns" in response.json()["error"]["fields"]["file"][0]


@pytest.mark.parametrize(
    "body",
    [{"tasks": []}, [], "just text", [1, 2]],
)
def test_a_body_that_is_not_a_list_of_tasks_is_400_or_reported_per_row(ops, project, body) -> None:
    response = ops.post(url(project), body, format="json")

    if isinstance(body, list) and body:
        assert response.json()["errors"][0]["errors"] == {"row": ["each task must be an object"]}
    else:
        assert response.status_code == 400


def test_huge_strings_are_reported_not_crashed_on(ops, project) -> None:
    body = ops.post(url(project), [task_row("a", prompt="x" * 100_001)], format="json").json()

    assert body["errors"] == [{"row": 1, "errors": {"prompt": ["at most 100000 characters"]}}]


def test_a_file_that_is_not_utf8_is_400(ops, project) -> None:
    upload = SimpleUploadedFile("tasks.csv", b"external_id\n\xff\xfe", content_type="text/csv")

    assert ops.post(url(project), {"file": upload}, format="multipart").status_code == 400


def test_an_unknown_project_is_404(ops) -> None:
    response = ops.post(
        "/api/v1/projects/00000000-0000-0000-0000-000000000000/tasks/", [task_row("a")], format="json"
    )

    assert response.status_code == 404


def test_a_large_import_is_chunked_and_complete(ops, project) -> None:
    rows = [task_row(f"bulk-{i}") for i in range(1234)]

    body = ops.post(url(project), rows, format="json").json()

    assert body == {"created": 1234, "skipped": 0, "errors": []}
    assert Task.objects.filter(project=project).count() == 1234
    assert Event.objects.filter(type="TaskImported").count() == 1234


def test_existing_task_ids_names_only_the_tasks_that_exist(project) -> None:
    imported = import_tasks(project, 3, prefix="ex")
    missing = [uuid.uuid4(), uuid.uuid4()]

    assert existing_task_ids([*imported[:2], *missing]) == set(imported[:2])
    assert existing_task_ids([]) == set()
