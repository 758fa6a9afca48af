"""Reactors: each event handled exactly once, whatever the deliveries, pumps and crashes."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from marlin import reactors
from marlin.eventstore.models import Event, ReactorCheckpoint
from marlin.eventstore.store import head_position
from marlin.jobs import pump_reactor_job
from tests.support import services
from tests.support.echo import ping
from tests.support.settle import settle


def echo_counts() -> Counter[str]:
    return Counter(Event.objects.filter(type="Echoed").values_list("data__ping_id", flat=True))


def assert_each_ping_echoed_once(ping_ids: list) -> None:
    counts = echo_counts()
    assert counts == Counter({str(ping_id): 1 for ping_id in ping_ids})


@pytest.mark.django_db
def test_pump_handles_each_event_once_however_often_it_is_woken() -> None:
    ping_ids = [ping(f"p{i}") for i in range(5)]

    settle()
    settle()
    for partition in range(reactors.get("support-echo").partitions):
        pump_reactor_job.run("support-echo", partition)

    assert_each_ping_echoed_once(ping_ids)


@pytest.mark.django_db
def test_reaction_events_carry_the_causing_event_and_its_correlation() -> None:
    ping("p")
    settle()

    cause = Event.objects.get(type="Pinged")
    effect = Event.objects.get(type="Echoed")

    assert effect.metadata["causation_id"] == str(cause.event_id)
    assert effect.metadata["correlation_id"] == cause.metadata["correlation_id"]


@pytest.mark.django_db
def test_a_refused_reaction_leaves_no_events_and_is_not_retried_forever() -> None:
    ping("refused")
    ping("fine")

    settle()

    assert Event.objects.filter(type="Echoed").count() == 1
    assert settle() == 0


@pytest.mark.django_db
def test_idle_partitions_move_their_checkpoint_to_the_head() -> None:
    ping("p")
    settle()

    positions = ReactorCheckpoint.objects.filter(reactor="support-echo").values_list("position", flat=True)

    assert set(positions) == {head_position()}


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_reactions_run_in_process_right_after_commit(settings) -> None:
    settings.CELERY_BROKER_URL = ""

    ping_id = ping("embedded")

    assert_each_ping_echoed_once([ping_id])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_pumps_running_at_once_handle_each_event_exactly_once(monkeypatch) -> None:
    monkeypatch.setenv("MARLIN_TEST_ECHO_DELAY", "0.01")
    monkeypatch.setattr("django.conf.settings.CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    ping_ids = [ping(f"p{i}") for i in range(40)]
    start = threading.Barrier(4, timeout=10)

    def pump_everything() -> None:
        try:
            start.wait()
            for _ in range(3):
                reactors.pump_all()
        finally:
            connection.close()

    threads = [threading.Thread(target=pump_everything) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    settle()
    assert_each_ping_echoed_once(ping_ids)


# --- with real Celery workers and Redis ---------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.postgres_only
def test_a_worker_reacts_after_commit_even_when_the_wake_up_arrives_twice(start_worker) -> None:
    start_worker(concurrency=2)
    ping_ids = [ping(f"p{i}") for i in range(10)]
    for partition in range(2):  # a duplicate delivery of every wake-up
        pump_reactor_job.apply_async(args=["support-echo", partition])

    services.wait_until(lambda: sum(echo_counts().values()) >= 10, timeout=30, what="10 echoes")
    pump_reactor_job.apply_async(args=["support-echo", 0])
    services.wait_until(_checkpoints_at_head, timeout=30, what="checkpoints at head")

    assert_each_ping_echoed_once(ping_ids)


@pytest.mark.worker
@pytest.mark.postgres_only
def test_a_worker_killed_mid_batch_neither_repeats_nor_skips_an_event(start_worker) -> None:
    worker = start_worker(concurrency=1, env={"MARLIN_TEST_ECHO_DELAY": "0.15"})
    ping_ids = [ping(f"p{i}") for i in range(20)]
    services.wait_until(lambda: sum(echo_counts().values()) >= 4, timeout=30, what="some echoes")

    worker.kill()
    handled_before_crash = sum(echo_counts().values())
    assert 0 < handled_before_crash < 20, "the crash should land mid-batch"
    assert max(echo_counts().values()) == 1

    start_worker(concurrency=2, beat=True)  # beat's periodic pump picks the work up again
    services.wait_until(lambda: sum(echo_counts().values()) >= 20, timeout=60, what="all echoes")
    services.wait_until(_checkpoints_at_head, timeout=30, what="checkpoints at head")

    assert_each_ping_echoed_once(ping_ids)


@pytest.mark.worker
@pytest.mark.postgres_only
def test_with_the_broker_down_commands_succeed_and_reactions_follow_its_return(start_worker) -> None:
    redis = services.PrivateRedis()
    with services.broker_for_this_process(redis.url):
        ping_ids = [ping(f"p{i}") for i in range(5)]  # the broker is down: wake-ups fail

        assert Event.objects.filter(type="Pinged").count() == 5
        assert not echo_counts()

        redis.start()
        try:
            start_worker(broker_url=redis.url, beat=True)
            services.wait_until(lambda: sum(echo_counts().values()) >= 5, timeout=60, what="echoes")
        finally:
            redis.stop()

    assert_each_ping_echoed_once(ping_ids)


def _checkpoints_at_head() -> bool:
    head = head_position()
    positions = ReactorCheckpoint.objects.filter(reactor="support-echo").values_list("position", flat=True)
    return bool(positions) and all(position == head for position in positions)
