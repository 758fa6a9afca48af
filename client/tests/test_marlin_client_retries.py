"""Retries: one Idempotency-Key per command, the same on every retry; network errors, 5xx and 429
are retried with backoff (Retry-After honoured), other 4xx never; the attempts are bounded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from conftest import Recorder, body_of, error
from marlin_client.errors import ApiError, ConnectionFailed
from marlin_client.retry import RetryPolicy, retry_after_seconds

CLAIMED = httpx.Response(201, json={"id": "task-1", "status": "claimed"})


def test_a_command_sends_one_key_and_every_retry_reuses_it(make_client, sleeps) -> None:
    recorder = Recorder(
        httpx.ConnectError("refused"), error(503, "service_unavailable"), httpx.ReadTimeout("slow"), CLAIMED
    )

    task = make_client(recorder).claim()

    assert task == {"id": "task-1", "status": "claimed"}
    keys = recorder.keys()
    assert len(keys) == 4
    assert len(set(keys)) == 1
    assert uuid.UUID(keys[0]).version == 4
    assert len(sleeps) == 3


def test_two_commands_draw_two_keys(make_client) -> None:
    recorder = Recorder(CLAIMED)
    client = make_client(recorder)

    client.claim()
    client.claim()

    first, second = recorder.keys()
    assert first != second


def test_a_caller_may_name_the_key(make_client) -> None:
    recorder = Recorder(error(500, "server_error"), CLAIMED)

    make_client(recorder).request("POST", "tasks/claim/", json={}, idempotency_key="claim-42")

    assert recorder.keys() == ["claim-42", "claim-42"]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid"),
        (401, "not_authenticated"),
        (403, "not_allowed"),
        (404, "not_found"),
        (409, "claim_held"),
        (409, "concurrent_update"),
        (422, "idempotency_key_reused"),
    ],
)
def test_a_refusal_is_raised_at_once_and_never_retried(make_client, sleeps, status, code) -> None:
    recorder = Recorder(error(status, code, details={"task": "task-9"}, request_id="req-1"), CLAIMED)

    with pytest.raises(ApiError) as raised:
        make_client(recorder).claim()

    assert len(recorder.requests) == 1
    assert sleeps == []
    assert (raised.value.status, raised.value.code, raised.value.request_id) == (status, code, "req-1")
    assert raised.value.details == {"task": "task-9"}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_until_one_answers(make_client, status) -> None:
    recorder = Recorder(error(status, "server_error"), error(status, "server_error"), CLAIMED)

    assert make_client(recorder).claim() == {"id": "task-1", "status": "claimed"}
    assert len(recorder.requests) == 3


def test_a_throttled_answer_waits_as_long_as_retry_after_says(make_client, sleeps) -> None:
    recorder = Recorder(error(429, "throttled", retry_after=7), CLAIMED)

    make_client(recorder, base_delay=0.5).claim()

    assert len(recorder.requests) == 2
    assert sleeps == [7.0]


def test_a_503_with_retry_after_waits_at_least_that_long(make_client, sleeps) -> None:
    recorder = Recorder(error(503, "service_unavailable", retry_after=3), CLAIMED)

    make_client(recorder).claim()

    assert sleeps == [3.0]


def test_retry_after_may_be_an_http_date() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    response = httpx.Response(
        429, headers={"Retry-After": format_datetime(now + timedelta(seconds=30), usegmt=True)}
    )

    assert retry_after_seconds(response, now=lambda: now) == 30.0
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Response(429)) is None


def test_a_wait_longer_than_the_policy_allows_is_not_waited_out(make_client, sleeps) -> None:
    recorder = Recorder(error(429, "sign_in_locked", retry_after=900), CLAIMED)

    with pytest.raises(ApiError) as raised:
        make_client(recorder, max_retry_after=120).claim()

    assert raised.value.code == "sign_in_locked"
    assert raised.value.retry_after == 900.0
    assert sleeps == []
    assert len(recorder.requests) == 1


def test_backoff_doubles_with_jitter_up_to_the_ceiling() -> None:
    low = RetryPolicy(base_delay=1, max_delay=5, random=lambda: 0.0)
    high = RetryPolicy(base_delay=1, max_delay=5, random=lambda: 0.999)

    assert [low.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert [round(high.backoff(n), 2) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def test_the_attempts_are_bounded_for_server_errors(make_client, sleeps) -> None:
    recorder = Recorder(error(500, "server_error", request_id="req-last"))

    with pytest.raises(ApiError) as raised:
        make_client(recorder, max_attempts=3).claim()

    assert len(recorder.requests) == 3
    assert len(sleeps) == 2
    assert raised.value.request_id == "req-last"


def test_the_attempts_are_bounded_for_network_errors(make_client, sleeps) -> None:
    recorder = Recorder(httpx.ConnectError("connection refused"))

    with pytest.raises(ConnectionFailed) as raised:
        make_client(recorder, max_attempts=4).claim()

    assert raised.value.attempts == 4
    assert len(recorder.requests) == 4
    assert len(set(recorder.keys())) == 1
    assert len(sleeps) == 3


def test_our_own_attempt_still_running_is_waited_for(make_client) -> None:
    """After a timeout the first attempt may still run on the server: the retry with the same key
    gets 409 idempotency_key_in_flight, and a later one the stored answer."""
    recorder = Recorder(httpx.ReadTimeout("slow"), error(409, "idempotency_key_in_flight"), CLAIMED)

    assert make_client(recorder).claim()["id"] == "task-1"
    assert len(set(recorder.keys())) == 1
    assert len(recorder.requests) == 3


def test_reads_carry_no_key_and_are_retried_too(make_client) -> None:
    recorder = Recorder(error(502, "http_502"), httpx.Response(200, json={"id": "task-1"}))

    assert make_client(recorder).task("task-1") == {"id": "task-1"}
    assert recorder.keys() == [None, None]


def test_signing_in_sends_no_key(make_client) -> None:
    recorder = Recorder(httpx.Response(200, json={"token": "new", "expires_at": "2026-12-26T00:00:00Z"}))
    client = make_client(recorder, token=None)

    client.sign_in("alice", "secret")

    assert recorder.keys() == [None]
    assert body_of(recorder.requests[0]) == {"username": "alice", "password": "secret"}
    assert client.token == "new"


def test_a_retried_upload_sends_the_whole_file_again(make_client, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.csv"
    tasks.write_bytes(b"external_id,prompt\n" + b"x" * 200_000 + b"\n")
    seen: list[int] = []
    recorder = Recorder(error(503, "service_unavailable"), httpx.Response(200, json={"created": 1}))

    result = make_client(recorder).import_tasks("p-1", tasks, progress=seen.append)

    assert result == {"created": 1}
    first, second = recorder.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    # Each attempt draws its own multipart boundary (the server's fingerprint ignores it).
    assert all(tasks.read_bytes() in request.content for request in (first, second))
    assert seen[-1] == tasks.stat().st_size
    assert seen.count(tasks.stat().st_size) >= 2  # the bar went to the end on each attempt
