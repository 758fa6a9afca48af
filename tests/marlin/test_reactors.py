"""Reactors: each event handled exactly once, whatever the deliveries, pumps and crashes."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from typing import Any

import pytest
import redis
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from marlin import reactors, wake_flags
from marlin.celery import app as celery_app
from marlin.eventstore.models import Event, ReactorCheckpoint
from marlin.eventstore.store import bucket_of, head_position
from marlin.jobs import pump_reactor_job
from marlin.kernel import clock
from tests.support import echo, services
from tests.support.echo import ping
from tests.support.models import PingTally
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
def test_a_batch_runs_its_commands_without_a_savepoint_each_and_a_refusal_before_writing_keeps_it(
    monkeypatch,
) -> None:
    monkeypatch.setattr(reactors, "BATCH_SECONDS", 60.0)
    ping_ids, partition = pings_on_one_stream(["a", "refused early", "b"])

    with CaptureQueriesContext(connection) as queries:
        reactors.pump(echo.echo, partition)

    assert echo_counts() == Counter({str(ping_ids[0]): 1, str(ping_ids[2]): 1})
    # One savepoint: the batch's own transaction, which the test's transaction turns into one.
    assert [q["sql"].split()[0] for q in queries if q["sql"].startswith("SAVEPOINT")] == ["SAVEPOINT"]
    # The batch's move and the idle move to the head: one event per transaction writes it 3 times.
    assert checkpoint_writes(queries) == 2
    assert settle() == 0


@pytest.mark.django_db
def test_a_refusal_after_a_write_in_a_batch_leaves_nothing_of_that_command(monkeypatch) -> None:
    monkeypatch.setattr(reactors, "BATCH_SECONDS", 60.0)
    PingTally.objects.create(name="refused after a write", count=0, last_at=clock.now())
    ping_ids, partition = pings_on_one_stream(["a", "refused after a write", "b"])
    tally_before = PingTally.objects.get(name="refused after a write").count

    reactors.pump(echo.echo, partition)

    assert echo_counts() == Counter({str(ping_ids[0]): 1, str(ping_ids[2]): 1})
    # The batch could not undo the refused command's write alone: it ran the events one by one,
    # each command under its savepoint, and the write went with the refusal.
    assert PingTally.objects.get(name="refused after a write").count == tally_before
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


def pings_on_one_stream(names: list[str]) -> tuple[list[uuid.UUID], int]:
    """Pings in order on one stream, so one partition handles them; their ids and that partition."""
    stream = f"ping-{uuid.uuid4()}"
    ids = [ping(name, stream=stream, expected_version=i) for i, name in enumerate(names)]
    return ids, echo.echo.partition_of(bucket_of(stream))


def checkpoint_writes(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries if q["sql"].startswith("UPDATE") and "reactorcheckpoint" in q["sql"])


@pytest.mark.django_db
def test_a_backlog_is_handled_in_batches_with_one_checkpoint_write_each(monkeypatch) -> None:
    monkeypatch.setattr(reactors, "BATCH_SECONDS", 60.0)  # a slow machine would close batches early
    ping_ids = [ping(f"p{i}") for i in range(30)]

    with CaptureQueriesContext(connection) as queries:
        for partition in range(echo.echo.partitions):
            reactors.pump(echo.echo, partition)

    assert_each_ping_echoed_once(ping_ids)
    # Per partition: one batch, and at most one move of the idle checkpoint past the other's events.
    assert checkpoint_writes(queries) <= 2 * echo.echo.partitions


@pytest.mark.django_db
def test_a_pump_with_nothing_new_costs_one_query() -> None:
    ping("p")
    settle()

    with CaptureQueriesContext(connection) as queries:
        assert reactors.pump(echo.echo, 0) == 0
        assert reactors.pump(echo.echo, 1) == 0

    assert len(queries) == 2


@pytest.mark.django_db
def test_a_crashing_handler_mid_batch_keeps_the_reactions_before_it_and_stops_at_it(monkeypatch) -> None:
    monkeypatch.setattr(echo, "CRASH_ON", {"bad"})
    ping_ids, _ = pings_on_one_stream(["a", "b", "bad", "c"])

    with pytest.raises(echo.EchoCrashed):
        settle()
    assert echo_counts() == Counter({str(ping_ids[0]): 1, str(ping_ids[1]): 1})

    with pytest.raises(echo.EchoCrashed):  # a poison stays a poison: nothing after it runs
        settle()
    assert sum(echo_counts().values()) == 2

    monkeypatch.setattr(echo, "CRASH_ON", set())  # fixed
    settle()
    assert_each_ping_echoed_once(ping_ids)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_pump_that_finds_its_partition_held_leaves_the_new_events_to_the_holder(monkeypatch) -> None:
    monkeypatch.setenv("MARLIN_TEST_ECHO_DELAY", "1.0")  # wake-ups go to a broker no worker reads
    [first], partition = pings_on_one_stream(["first"])
    stream = Event.objects.get(type="Pinged").stream

    def pump_and_close() -> None:
        try:
            reactors.pump(echo.echo, partition)
        finally:
            connection.close()

    holder = threading.Thread(target=pump_and_close)
    holder.start()
    services.wait_until(lambda: _checkpoint_held(partition), timeout=10, what="the holder's lock")
    second = ping("second", stream=stream, expected_version=1)

    assert reactors.pump(echo.echo, partition) == 0  # held: it returns at once
    holder.join(30)

    assert_each_ping_echoed_once([first, second])  # the holder saw the mark and went on


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_wake_ups_of_one_partition_coalesce_until_its_pump_is_done(broker_url) -> None:
    with services.broker_for_this_process(broker_url):
        ping_ids, partition = pings_on_one_stream([f"p{i}" for i in range(10)])
        assert _queued_echo_wake_ups(broker_url) == [partition]

        pump_reactor_job.run("support-echo", partition)
        assert_each_ping_echoed_once(ping_ids)
        stream = Event.objects.filter(type="Pinged").first().stream
        ping("later", stream=stream, expected_version=10)

        assert _queued_echo_wake_ups(broker_url) == [partition, partition]


def ping_from_another_connection(name: str, stream: str, expected_version: int) -> None:
    """A ping committed by another thread (another connection), as another process would."""

    def commit() -> None:
        try:
            ping(name, stream=stream, expected_version=expected_version)
        finally:
            connection.close()

    thread = threading.Thread(target=commit)
    thread.start()
    thread.join(30)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_commit_while_a_woken_pump_works_sends_no_message_and_that_pump_handles_it(
    broker_url, monkeypatch
) -> None:
    # Lowering the flag before reading made every commit during a pump send a message whose
    # pump then found nothing to do: a quarter of the workday's wake-ups.
    with services.broker_for_this_process(broker_url):
        _, partition = pings_on_one_stream(["first"])
        stream = Event.objects.get(type="Pinged").stream
        handle = reactors._handle_batch
        committed: list[bool] = []

        def handle_then_another_commits(reactor: Any, part: int, *, limit: int) -> int | None:
            done = handle(reactor, part, limit=limit)
            if not committed:
                committed.append(True)
                ping_from_another_connection("during", stream, 1)
            return done

        monkeypatch.setattr(reactors, "_handle_batch", handle_then_another_commits)
        assert pump_reactor_job.run("support-echo", partition) == 2

        assert _queued_echo_wake_ups(broker_url) == [partition]  # only the message that woke it
    assert len(echo_counts()) == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_commit_after_a_pumps_last_read_but_before_its_flag_is_lowered_is_not_lost(
    broker_url, monkeypatch
) -> None:
    # That commit found the flag raised and sent nothing: the pump must see it after lowering.
    with services.broker_for_this_process(broker_url):
        _, partition = pings_on_one_stream(["first"])
        stream = Event.objects.get(type="Pinged").stream
        lower = wake_flags.lower_flag

        def another_commits_then_lower(name: str, part: int) -> None:
            if name == "support-echo":
                ping_from_another_connection("just-before", stream, 1)
            lower(name, part)

        monkeypatch.setattr(wake_flags, "lower_flag", another_commits_then_lower)
        assert pump_reactor_job.run("support-echo", partition) == 2

        assert _queued_echo_wake_ups(broker_url) == [partition]
    assert len(echo_counts()) == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_urgent_reactors_wake_ups_leave_the_broker_before_routine_ones_queued_earlier(broker_url) -> None:
    # Routing's wake-ups (a submission waiting for its reviewer) queued behind payouts' and gold
    # scoring's on a busy worker: routing latency's tail under load.
    assert reactors.get("review-routing").urgent
    assert not echo.echo.urgent
    with services.broker_for_this_process(broker_url):
        reactors.dispatch([("support-echo", 0)])
        reactors.dispatch([("review-routing", 0)])

    client = redis.Redis.from_url(broker_url)
    taken = []
    while popped := client.brpop(_queue_keys(), timeout=1):
        taken.append(json.loads(popped[1])["headers"]["argsrepr"])
    assert taken == ["['review-routing', 0]", "['support-echo', 0]"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_woken_pump_out_of_its_turn_hands_back_and_wakes_its_partition_behind_the_queue(
    broker_url, monkeypatch
) -> None:
    # Events arriving all the time kept one pump, and its worker process, busy for seconds while
    # other partitions' wake-ups waited behind it.
    monkeypatch.setattr(reactors, "READ_BATCH", 4)
    monkeypatch.setattr(reactors, "WAKE_SECONDS", 0.0)
    with services.broker_for_this_process(broker_url):
        ping_ids, partition = pings_on_one_stream([f"p{i}" for i in range(10)])
        assert _queued_echo_wake_ups(broker_url) == [partition]

        assert pump_reactor_job.run("support-echo", partition) == 4
        assert _queued_echo_wake_ups(broker_url) == [partition, partition]
        assert len(echo_counts()) == 4

        assert pump_reactor_job.run("support-echo", partition) == 4
        assert pump_reactor_job.run("support-echo", partition) == 2
        assert _queued_echo_wake_ups(broker_url) == [partition, partition, partition]
        assert pump_reactor_job.run("support-echo", partition) == 0

    assert_each_ping_echoed_once(ping_ids)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_meeting_a_row_held_elsewhere_gives_way_to_one_event_per_transaction(monkeypatch) -> None:
    # Two routing batches each waiting for a reviewer row the other had taken deadlocked, and
    # both partitions stalled for the second PostgreSQL takes to notice.
    monkeypatch.setitem(echo.LOCKS_TALLY, "second", "held")
    held_id = ping("held")
    settle()
    ping_ids, partition = pings_on_one_stream(["first", "second", "third"])
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        try:
            with transaction.atomic():
                PingTally.objects.select_for_update().get(name="held")
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    def pump() -> None:
        try:
            pumped.append(reactors.pump(echo.echo, partition))
        finally:
            connection.close()

    def echoed() -> set[str]:
        return set(echo_counts()) & {str(ping_id) for ping_id in ping_ids}

    holder, pumped = threading.Thread(target=hold_the_row), []
    holder.start()
    assert locked.wait(10)
    pumping = threading.Thread(target=pump)
    pumping.start()
    try:
        services.wait_until(echoed, timeout=5, what="the first echo, committed")
        assert echoed() == {str(ping_ids[0])}  # the second waits for the row alone in its transaction
    finally:
        release.set()
        holder.join()
        pumping.join(30)

    assert pumped == [3]
    assert_each_ping_echoed_once([held_id, *ping_ids])


def _checkpoint_held(partition: int) -> bool:
    with transaction.atomic():
        free = (
            ReactorCheckpoint.objects.select_for_update(skip_locked=True)
            .filter(reactor="support-echo", partition=partition)
            .first()
        )
    return free is None and ReactorCheckpoint.objects.filter(reactor="support-echo").exists()


def _queue_keys() -> list[str]:
    """The broker's lists of the default queue, highest priority first, as kombu names them and
    as a worker's BRPOP takes them."""
    with celery_app.connection_for_read() as broker:
        channel = broker.default_channel
        return [channel._q_for_pri("celery", step) for step in channel.priority_steps]


def _queued_echo_wake_ups(broker_url: str) -> list[int]:
    """The partitions of the support-echo wake-ups waiting in the broker's queue, oldest first."""
    key = _queue_keys()[1]  # the echo reactor is routine: reactors.ROUTINE_PRIORITY (3)
    messages = redis.Redis.from_url(broker_url).lrange(key, 0, -1)
    partitions = []
    for raw in reversed(messages):  # kombu pushes on the left
        headers = json.loads(raw)["headers"]
        if headers["task"] == "marlin.pump_reactor" and "support-echo" in headers["argsrepr"]:
            partitions.append(int(headers["argsrepr"].strip("[]").split(",")[1]))
    return partitions


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
