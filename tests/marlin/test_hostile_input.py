"""Inputs that once made the API answer 500 (found by fuzzing); each is a 4xx now."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import client_for, make_project, make_user, task_row

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/tasks/claim/", "/api/v1/projects/"])
def test_json_nested_too_deeply_is_a_malformed_request(path) -> None:
    client = client_for(make_user("contributor" if "claim" in path else "ops"))

    response = client.post(path, data=DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_a_lone_surrogate_in_json_text_is_a_malformed_request() -> None:
    ops = client_for(make_user("ops"))

    response = ops.post("/api/v1/projects/", data='{"name": "\\ud800"}', content_type="application/json")

    assert response.status_code == 400
    assert "surrogate" in response.json()["error"]["message"]


def test_bad_jsonl_rows_are_reported_not_crashed_on() -> None:
    ops = client_for(make_user("ops"))
    project = make_project()
    lines = [
        json.dumps(task_row("fine")),
        '{"external_id": "big", "priority": ' + "9" * 5000 + "}",
        '{"external_id": "\\ud83d"}',
        "[" * 100_000,
    ]
    upload = SimpleUploadedFile("tasks.jsonl", "\n".join(lines).encode(), content_type="application/x-ndjson")

    body = ops.post(f"/api/v1/projects/{project.id}/tasks/", {"file": upload}, format="multipart").json()

    assert body["created"] == 1
    assert [error["row"] for error in body["errors"]] == [2, 3, 4]


def test_numbers_too_large_for_the_database_are_400() -> None:
    finance = client_for(make_user("finance"))
    ops = client_for(make_user("ops"))

    filtered = finance.get("/api/v1/payouts/", {"contributor": "9" * 30})
    # PostgreSQL compares it and finds nobody; SQLite cannot hold it: either way, no 500.
    assert filtered.status_code in (200, 400)
    assert filtered.status_code == 400 or filtered.json()["count"] == 0
    assert ops.get(f"/api/v1/people/{'9' * 30}/").status_code in (400, 404)
    assert (
        ops.post("/api/v1/people/", {"username": "x", "capacity": 10**30}, format="json").status_code == 400
    )


def test_periods_beyond_the_calendar_are_400() -> None:
    finance = client_for(make_user("finance"))

    response = finance.post("/api/v1/statements/close/", {"period": "9999-W52"}, format="json")

    assert response.status_code == 400
    assert "period" in response.json()["error"]["fields"]


def test_nul_characters_are_refused_before_the_database_sees_them() -> None:
    ops = client_for(make_user("ops"))
    project = make_project()
    csv_text = (
        "external_id,prompt,response_a,response_b,model_a,model_b\nn1,a\x00b,x,y,m1,m2\nn2,ok,x,y,m1,m2\n"
    )
    upload = SimpleUploadedFile("t.csv", csv_text.encode(), content_type="text/csv")

    in_json = ops.post("/api/v1/projects/", data='{"name": "a\\u0000b"}', content_type="application/json")
    in_csv = ops.post(f"/api/v1/projects/{project.id}/tasks/", {"file": upload}, format="multipart").json()

    assert in_json.status_code == 400
    assert in_csv["created"] == 1
    assert in_csv["errors"] == [{"row": 1, "errors": {"prompt": ["must not contain a NUL character"]}}]


def test_python_internals_never_reach_error_messages() -> None:
    ops = client_for(make_user("ops"))
    project = make_project()

    rows = ops.post(
        f"/api/v1/projects/{project.id}/tasks/", [task_row("p", priority="+-5")], format="json"
    ).json()
    long_number = ops.post(
        "/api/v1/projects/", data='{"name": ' + "9" * 5000 + "}", content_type="application/json"
    )

    assert "int()" not in str(rows)
    assert long_number.status_code == 400
    assert "sys." not in long_number.json()["error"]["message"]


def test_claiming_from_an_unknown_project_is_404_and_a_fractional_layer_is_400() -> None:
    contributor = client_for(make_user("contributor"))
    ops = client_for(make_user("ops"))

    claim = contributor.post(
        "/api/v1/tasks/claim/", {"project": "00000000-0000-0000-0000-000000000000"}, format="json"
    )

    assert claim.status_code == 404
    assert ops.get("/api/v1/tasks/", {"layer": "1.5"}).status_code == 400


def test_a_request_id_with_a_trailing_newline_is_replaced_not_echoed_into_a_header() -> None:
    ops = client_for(make_user("ops"))

    response = ops.get("/api/v1/me/", HTTP_X_REQUEST_ID="trace-id-1234\n")

    assert response.status_code == 200
    assert response["X-Request-ID"] != "trace-id-1234\n"
    assert "\n" not in response["X-Request-ID"]
