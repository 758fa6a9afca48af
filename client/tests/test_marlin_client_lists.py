"""Errors as the API shapes them, lists paged through to the end, and files streamed."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from conftest import URL, Recorder, error
from marlin_client.errors import ApiError, ConnectionFailed


def test_an_api_error_carries_code_message_fields_details_and_request_id(make_client) -> None:
    answer = httpx.Response(
        400,
        json={
            "error": {
                "status": 400,
                "code": "invalid",
                "message": "The judgment is not valid.",
                "fields": {"scores": {"correctness": {"a": ["must be 1-5"]}}, "rationale": ["too short"]},
                "request_id": "req-7",
            }
        },
    )

    with pytest.raises(ApiError) as raised:
        make_client(Recorder(answer)).submit("task-1", {})

    failure = raised.value
    assert (failure.status, failure.code, failure.message) == (400, "invalid", "The judgment is not valid.")
    assert failure.request_id == "req-7"
    assert failure.field_messages() == [("scores.correctness.a", "must be 1-5"), ("rationale", "too short")]


def test_an_answer_without_the_error_shape_still_says_what_it_can(make_client) -> None:
    proxy_page = httpx.Response(404, text="<html>Not Found</html>", headers={"X-Request-ID": "req-proxy"})

    with pytest.raises(ApiError) as raised:
        make_client(Recorder(proxy_page)).task("task-1")

    assert (raised.value.status, raised.value.code, raised.value.request_id) == (404, "http_404", "req-proxy")


def test_every_page_is_followed_to_the_end(make_client) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        following = f"http://internal-host:9000/api/v1/reviews/?page={number + 1}&status=pending"
        return httpx.Response(
            200,
            json={
                "count": 5,
                "next": following if number < 3 else None,
                "previous": None,
                "results": [{"id": f"r{number}-{i}"} for i in range(2 if number < 3 else 1)],
            },
        )

    recorder = Recorder(page)

    reviews = list(make_client(recorder).reviews(status="pending"))

    assert [r["id"] for r in reviews] == ["r1-0", "r1-1", "r2-0", "r2-1", "r3-0"]
    # `next` named another host: it is followed on this client's server, where the token belongs.
    assert [str(r.url) for r in recorder.requests] == [
        f"{URL}/api/v1/reviews/?status=pending",
        f"{URL}/api/v1/reviews/?page=2&status=pending",
        f"{URL}/api/v1/reviews/?page=3&status=pending",
    ]
    assert all(r.headers["Authorization"] == "Token t0ken" for r in recorder.requests)


def test_a_csv_report_is_streamed_into_the_sink(make_client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"contributor,name,net\n"
        yield b"4,Alice,280.00\n"
        yield b"TOTAL,,280.00\n"

    recorder = Recorder(error(503, "service_unavailable"), httpx.Response(200, content=chunks()))
    sink = io.BytesIO()

    written = make_client(recorder).download_payout_report("2026-W48", sink)

    assert sink.getvalue() == b"contributor,name,net\n4,Alice,280.00\nTOTAL,,280.00\n"
    assert written == len(sink.getvalue())
    assert recorder.requests[-1].url.params["format"] == "csv"
    assert recorder.requests[-1].headers["Accept"] == "*/*"


class BreaksOff(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'{"task_id": 1}\n'
        raise httpx.ReadError("connection reset")


def test_a_download_that_breaks_off_midway_is_not_silently_retried(make_client) -> None:
    recorder = Recorder(httpx.Response(200, stream=BreaksOff()))
    sink = io.BytesIO()

    with pytest.raises(ConnectionFailed, match="broke off after 15 bytes"):
        make_client(recorder).export_preferences("p-1", sink)

    assert len(recorder.requests) == 1
