"""Idempotency-Key: replay, 409 while in flight, 422 on a different body, scoped per user."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import encode_multipart

from marlin.api import idempotency
from marlin.eventstore.models import Event
from marlin.kernel import clock
from marlin.models import IdempotencyKey
from tests.factories import client_for, make_project, make_user, task_row
from tests.support.views import PingApi, PingHold

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.urls")]
URL = "/test-support/ping/"
FORM = "application/x-www-form-urlencoded"


def post(client, body, key="key-1", **extra):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_same_key_and_body_replays_the_stored_response_and_records_nothing_new() -> None:
    client = client_for(make_user())

    first = post(client, {"name": "a"})
    second = post(client, {"name": "a"})

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(type="Pinged").count() == 1


def test_same_key_with_a_different_body_is_422() -> None:
    client = client_for(make_user())
    post(client, {"name": "a"})

    response = post(client, {"name": "b"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Event.objects.filter(type="Pinged").count() == 1


def test_one_users_key_never_returns_another_users_response() -> None:
    alice, bob = client_for(make_user()), client_for(make_user())

    from_alice = post(alice, {"name": "a"})
    from_bob = post(bob, {"name": "a"})

    assert from_bob.status_code == 201
    assert "Idempotent-Replayed" not in from_bob
    assert from_bob.json()["ping_id"] != from_alice.json()["ping_id"]
    assert Event.objects.filter(type="Pinged").count() == 2


def test_without_a_key_every_post_runs() -> None:
    client = client_for(make_user())

    client.post(URL, {"name": "a"}, format="json")
    client.post(URL, {"name": "a"}, format="json")

    assert Event.objects.filter(type="Pinged").count() == 2


def test_invalid_input_answers_are_replayed_too() -> None:
    client = client_for(make_user())

    first = post(client, {"name": ""})
    second = post(client, {"name": ""})

    assert first.status_code == second.status_code == 400
    assert second["Idempotent-Replayed"] == "true"


def test_a_conflict_frees_the_key_so_the_same_retry_can_succeed_later() -> None:
    client = client_for(make_user())
    client.post(URL, {"name": "a", "stream": "ping-s"}, format="json")
    body = {"name": "b", "stream": "ping-s", "expected_version": 2}

    assert post(client, body).status_code == 409
    client.post(URL, {"name": "c", "stream": "ping-s", "expected_version": 1}, format="json")
    retried = post(client, body)

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def test_an_unusable_key_is_400() -> None:
    client = client_for(make_user())

    response = post(client, {"name": "a"}, key="x" * 300)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


@pytest.mark.parametrize("key", ["key-1\x1f", "\x0bkey-1", "key-1\x0c"])
def test_a_key_with_control_characters_around_it_is_refused_not_stripped(key) -> None:
    client = client_for(make_user())
    events = Event.objects.count()

    response = post(client, {"name": "a"}, key=key)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert Event.objects.count() == events


def test_spaces_and_tabs_around_a_key_are_http_whitespace_not_part_of_it() -> None:
    client = client_for(make_user())

    first = post(client, {"name": "a"}, key="key-1")
    second = post(client, {"name": "a"}, key=" \tkey-1 ")

    assert second.status_code == first.status_code
    assert second["Idempotent-Replayed"] == "true"


def test_keys_expire_after_their_time_to_live() -> None:
    client = client_for(make_user())
    post(client, {"name": "a"})

    with clock.pinned_at(clock.now() + timedelta(hours=25)):
        purged = idempotency.purge_expired()
        again = post(client, {"name": "a"})

    assert purged == 1
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Event.objects.filter(type="Pinged").count() == 2


def test_a_key_left_in_flight_by_a_dead_process_is_taken_over_after_its_lease() -> None:
    user = make_user()
    client = client_for(user)
    post(client, {"name": "a"})
    IdempotencyKey.objects.update(
        state=IdempotencyKey.State.IN_FLIGHT, started_at=clock.now() - idempotency.LEASE * 2
    )

    response = post(client, {"name": "a"})

    assert response.status_code == 201


def _connect() -> psycopg.Connection:
    """A second, real connection to the test database, in autocommit."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
        dbname=settings["NAME"], password=settings["PASSWORD"] or None, autocommit=True,
    )  # fmt: skip


@contextmanager
def another_backend() -> Iterator[int]:
    """Another process's connection, say: its backend pid, until the block ends and closes it."""
    with _connect() as other:
        yield other.info.backend_pid


def wait_until_gone(pid: int) -> None:
    """Until PostgreSQL has ended the backend, as seen from outside the test's transaction (where
    ``pg_stat_activity`` is a snapshot taken at its first read and would not change)."""
    with _connect() as watcher:
        for _ in range(200):
            if watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is None:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} did not end")


@pytest.mark.postgres_only
def test_a_key_left_in_flight_by_a_killed_process_is_taken_over_at_once() -> None:
    client = client_for(make_user())
    post(client, {"name": "a"})
    with another_backend() as pid:
        pass  # the process holding the key dies: PostgreSQL ends its backend
    wait_until_gone(pid)
    IdempotencyKey.objects.update(
        state=IdempotencyKey.State.IN_FLIGHT, started_at=clock.now(), holder_pid=pid
    )

    response = post(client, {"name": "a"})

    assert response.status_code == 201, "taken over within the lease: its holder is gone"
    assert IdempotencyKey.objects.get().state == IdempotencyKey.State.DONE


@pytest.mark.postgres_only
def test_a_key_in_flight_whose_holder_is_still_connected_is_409_within_its_lease() -> None:
    client = client_for(make_user())
    post(client, {"name": "a"})

    with another_backend() as pid:
        IdempotencyKey.objects.update(
            state=IdempotencyKey.State.IN_FLIGHT, started_at=clock.now(), holder_pid=pid
        )
        response = post(client, {"name": "a"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_flight"


@pytest.mark.django_db(transaction=True)
def test_a_second_request_while_the_first_is_running_gets_409(monkeypatch) -> None:
    hold = PingHold()
    monkeypatch.setattr(PingApi, "hold", hold)
    client = client_for(make_user())
    results: dict[str, int] = {}

    def held_first() -> None:
        try:
            results["first"] = post(client, {"name": "a", "hold": True}).status_code
        finally:
            connection.close()

    thread = threading.Thread(target=held_first)
    thread.start()
    try:
        assert hold.running.wait(10), "the first request never reached its view"
        second = post(client, {"name": "a", "hold": True})
    finally:
        hold.released.set()
        thread.join(10)

    assert results["first"] == 201
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "idempotency_key_in_flight"
    assert Event.objects.filter(type="Pinged").count() == 1


def test_the_same_file_upload_retried_with_its_key_is_replayed_whatever_the_boundary() -> None:
    ops = client_for(make_user("ops"))
    project = make_project()
    content = "\n".join(json.dumps(task_row(f"t{i}")) for i in range(3)).encode()

    def upload(boundary: str):
        body = encode_multipart(boundary, {"file": SimpleUploadedFile("t.jsonl", content)})
        return ops.post(
            f"/api/v1/projects/{project.id}/tasks/", data=body,
            content_type=f"multipart/form-data; boundary={boundary}", HTTP_IDEMPOTENCY_KEY="upload-1",
        )  # fmt: skip

    first, retried = upload("BoUnDaRy-one"), upload("another-boundary-2")

    assert first.json()["created"] == 3
    assert retried.status_code == 200
    assert retried["Idempotent-Replayed"] == "true"


def test_an_answer_echoing_a_nul_is_not_stored_and_a_retry_is_answered_anew() -> None:
    # PostgreSQL's jsonb holds no NUL: such an answer is sent, not kept (the key is freed).
    client = client_for(make_user("contributor"))
    form = "proj%00ect=1"  # an unknown form field, named in the 400 that refuses it

    def claim() -> object:
        return client.post(
            "/api/v1/tasks/claim/", data=form, content_type=FORM, HTTP_IDEMPOTENCY_KEY="nul-key"
        )

    first, again = claim(), claim()

    assert first.status_code == again.status_code == 400
    assert "proj\x00ect" in first.json()["error"]["fields"]
    assert "Idempotent-Replayed" not in again
    assert not IdempotencyKey.objects.filter(key="nul-key").exists()


@pytest.mark.postgres_only
def test_a_holder_seen_alive_earlier_in_the_transaction_is_seen_gone_once_its_backend_ends() -> None:
    """``pg_stat_activity`` is snapshotted per transaction: a second look must not reuse the first."""
    make_user()
    with another_backend() as pid:
        record = IdempotencyKey(holder_pid=pid, started_at=clock.now())
        assert idempotency._holder_alive(record)
    wait_until_gone(pid)

    assert not idempotency._holder_alive(record)
