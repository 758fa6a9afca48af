"""Uploads count against ``MARLIN_MAX_REQUEST_BYTES`` before anything reads them (413, nothing
imported), are read as a stream, and stop being read at ``MARLIN_IMPORT_MAX_ROWS``."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from drf_spectacular.generators import SchemaGenerator

from marlin.eventstore.models import Event
from marlin.kernel.errors import InvalidInput
from tasks.importing import rows_from_file
from tasks.models import Task
from tests.factories import client_for, make_project, make_user, task_row

pytestmark = pytest.mark.django_db

BOUNDARY = "marlin-test-boundary"
LIMIT = 8 * 1024


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


@pytest.fixture
def project():
    return make_project()


@pytest.fixture
def small_limit(settings) -> int:
    settings.MARLIN_MAX_REQUEST_BYTES = LIMIT
    return LIMIT


def jsonl(n: int, prefix: str = "t") -> bytes:
    return "\n".join(json.dumps(task_row(f"{prefix}{i}")) for i in range(n)).encode()


def multipart(content: bytes, name: str = "tasks.jsonl") -> bytes:
    return encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, content)})


def post_upload(client, project, body: bytes, *, chunked: bool = False, **extra):
    """POST a multipart body read from a stream the test can inspect afterwards; ``chunked``
    sends it without a Content-Length, as a server hands on a chunked request."""
    stream = io.BytesIO(body)
    if chunked:
        extra.update(
            {"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}
        )
    response = client.generic(
        "POST",
        f"/api/v1/projects/{project.id}/tasks/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **{"wsgi.input": stream, **extra},
    )
    return response, stream


def assert_413_and_nothing_imported(response, events_before: int) -> None:
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert error["request_id"] == response["X-Request-ID"]
    assert Event.objects.count() == events_before
    assert not Task.objects.exists()


def test_an_upload_over_the_byte_limit_is_413_unread_and_imports_nothing(ops, project, small_limit) -> None:
    body = multipart(jsonl(40))
    assert len(body) > small_limit
    events = Event.objects.count()

    response, stream = post_upload(ops, project, body)

    assert_413_and_nothing_imported(response, events)
    assert stream.tell() == 0  # refused on its Content-Length: not a byte of the body was read


def test_an_upload_under_the_byte_limit_is_imported(ops, project, small_limit) -> None:
    body = multipart(jsonl(5))
    assert len(body) < small_limit

    response, _ = post_upload(ops, project, body)

    assert response.status_code == 200
    assert response.json() == {"created": 5, "skipped": 0, "errors": []}


def test_a_json_body_over_the_byte_limit_is_413_too(ops, project, small_limit) -> None:
    events = Event.objects.count()

    response = ops.post(
        f"/api/v1/projects/{project.id}/tasks/", [task_row(f"j{i}") for i in range(40)], format="json"
    )

    assert_413_and_nothing_imported(response, events)


def test_a_chunked_upload_is_counted_while_read_and_413_past_the_limit(ops, project, small_limit) -> None:
    body = multipart(jsonl(400))
    events = Event.objects.count()

    response, stream = post_upload(ops, project, body, chunked=True)

    assert_413_and_nothing_imported(response, events)
    assert stream.tell() <= small_limit + 64 * 1024  # reading stopped near the limit, not at the end
    assert stream.tell() < len(body)


def test_a_chunked_upload_under_the_limit_is_imported(ops, project, small_limit) -> None:
    response, _ = post_upload(ops, project, multipart(jsonl(5)), chunked=True)

    assert response.status_code == 200
    assert response.json()["created"] == 5


def test_a_file_over_the_row_cap_is_400_and_imports_nothing(ops, project, settings) -> None:
    settings.MARLIN_IMPORT_MAX_ROWS = 3
    events = Event.objects.count()

    response, _ = post_upload(ops, project, multipart(jsonl(4)))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "at most 3 tasks" in response.json()["error"]["fields"]["tasks"][0]
    assert Event.objects.count() == events


def endless(first: bytes, line: bytes) -> Iterator[bytes]:
    """A file that never ends: only a reader that stops at the cap returns."""
    yield first
    yield from itertools.repeat(line)


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("tasks.jsonl", endless(b"", json.dumps(task_row("x")).encode() + b"\n")),
        ("tasks.csv", endless(b"external_id,prompt\r\n", b"x,Write a function.\r\n")),
        ("tasks.txt", endless(b"\n", json.dumps(task_row("x")).encode() + b"\n")),
    ],
)
def test_reading_a_file_stops_at_the_row_cap(settings, name, lines) -> None:
    settings.MARLIN_IMPORT_MAX_ROWS = 50

    with pytest.raises(InvalidInput) as refused:
        rows_from_file(name, lines)

    assert "at most 50 tasks" in refused.value.fields["tasks"][0]
    assert next(lines)  # the rest is still unread


def test_a_file_read_line_by_line_keeps_quoted_newlines_a_bom_and_row_numbers() -> None:
    lines = [b"\xef\xbb\xbfexternal_id,prompt\r\n", b'a,"two\r\n', b'lines"\r\n', b"b,one line\r\n"]

    rows = rows_from_file("tasks.csv", iter(lines))

    assert rows == [
        (1, {"external_id": "a", "prompt": "two\r\nlines"}),
        (2, {"external_id": "b", "prompt": "one line"}),
    ]


@pytest.mark.parametrize(
    ("name", "first"),
    [("upload", b"external_id,prompt\r\n"), ("upload", b"\n\n"), ("tasks.jsonl", b""), ("tasks.csv", b"\n")],
)
def test_a_file_named_neither_csv_nor_jsonl_is_told_apart_by_its_first_line(name, first) -> None:
    if first.startswith(b"external_id"):
        lines = [first, b"a,Write a function.\r\n", b"b,Write another.\r\n"]
    elif name.endswith(".csv"):
        lines = [b"external_id,prompt\n", first, b"a,Write a function.\n", b"b,Write another.\n"]
    else:
        lines = [first, json.dumps({"external_id": "a"}).encode() + b"\n", b'{"external_id": "b"}']

    rows = rows_from_file(name, iter(lines))

    assert [(number, row["external_id"]) for number, row in rows] == [(1, "a"), (2, "b")]


def test_a_line_that_is_not_utf8_is_400_naming_the_file() -> None:
    with pytest.raises(InvalidInput) as refused:
        rows_from_file("tasks.jsonl", iter([json.dumps(task_row("a")).encode() + b"\n", b"\xff\xfe\n"]))

    assert list(refused.value.fields) == ["file"]


def test_the_import_operation_documents_its_413_in_the_error_shape() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    documented = schema["paths"]["/api/v1/projects/{project_id}/tasks/"]["post"]["responses"]["413"]
    assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOutput"}
