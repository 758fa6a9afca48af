"""The event log: appends, optimistic concurrency, gapless order, immutability, integrity."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from marlin.eventstore.integrity import GENESIS, chain_hash, content_tail
from marlin.eventstore.models import Event, PositionCounter
from marlin.eventstore.store import (
    CommandAlreadyRecorded,
    RecordedEvent,
    command_transaction,
    head_position,
    load_aggregate,
    read_after,
    read_stream,
    read_stream_found_by,
    read_stream_if,
    read_streams,
)
from marlin.kernel import clock
from marlin.kernel.errors import ConcurrencyConflict
from marlin.kernel.events import DomainEvent
from tests.support.echo import Pinged, ping
from tests.support.immutability import triggers_suspended
from tests.support.models import PingTally

pytestmark = pytest.mark.django_db


def pinged(name: str = "n") -> Pinged:
    return Pinged(name=name, ping_id=uuid.uuid4(), at=clock.now())


def test_appended_events_are_read_back_in_stream_order_with_their_envelope() -> None:
    with command_transaction(actor_id=None) as uow:
        uow.append("ping-s", 0, [pinged("a"), pinged("b")])
    with command_transaction() as uow:
        uow.append("ping-s", 2, [pinged("c")])

    events = read_stream("ping-s")

    assert [(e.version, e.event.name) for e in events] == [(1, "a"), (2, "b"), (3, "c")]
    assert [e.position for e in events] == [1, 2, 3]
    assert events[0].metadata["correlation_id"]
    assert isinstance(events[2].event, Pinged)


def test_stale_expected_version_is_refused_and_writes_nothing() -> None:
    ping("a", stream="ping-s")
    before = (Event.objects.count(), head_position())

    with pytest.raises(ConcurrencyConflict):
        ping("b", stream="ping-s", expected_version=0)

    assert (Event.objects.count(), head_position()) == before


def test_expected_version_ahead_of_the_stream_is_refused_so_streams_never_have_gaps() -> None:
    ping("a", stream="ping-s")

    with pytest.raises(ConcurrencyConflict):
        ping("b", stream="ping-s", expected_version=5)

    assert [e.version for e in read_stream("ping-s")] == [1]


def test_refused_append_rolls_back_its_projection_rows_too() -> None:
    ping("a", stream="ping-s")
    with pytest.raises(ConcurrencyConflict):
        ping("a", stream="ping-s", expected_version=0)

    assert PingTally.objects.get(name="a").count == 1


def test_command_retried_with_the_same_command_id_records_nothing_new() -> None:
    command_id = uuid.uuid4()
    with command_transaction(command_id=command_id) as uow:
        uow.append("ping-x", 0, [pinged()])

    with pytest.raises(CommandAlreadyRecorded), command_transaction(command_id=command_id) as uow:
        uow.append("ping-y", 0, [pinged()])

    assert list(Event.objects.values_list("stream", flat=True)) == ["ping-x"]
    assert Event.objects.get().metadata["command_id"] == str(command_id)


def test_command_transactions_refuse_to_nest_inside_a_plain_transaction() -> None:
    # A command nested in someone else's transaction would not commit its position last.
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"), command_transaction():
        pass


def _append_then_refuse() -> None:
    with command_transaction() as inner:
        inner.append("ping-inner", 0, [pinged("dropped")])
        raise ConcurrencyConflict("refused after appending")


def test_refused_command_joined_to_an_outer_command_leaves_nothing_behind() -> None:
    with command_transaction() as outer:
        outer.append("ping-outer", 0, [pinged("kept")])
        with pytest.raises(ConcurrencyConflict):
            _append_then_refuse()

    assert list(Event.objects.values_list("stream", flat=True)) == ["ping-outer"]


def test_read_after_pages_through_the_log_by_position_and_type() -> None:
    for name in "abcde":
        ping(name)

    first = read_after(0, limit=2)
    rest = read_after(first[-1].position, limit=10)

    assert [e.position for e in first + rest] == [1, 2, 3, 4, 5]
    assert read_after(0, types=["Nope"]) == []


@pytest.mark.postgres_only
def test_a_row_found_by_a_query_comes_with_every_event_of_the_stream_it_names() -> None:
    ping("a", stream="ping-named")
    ping("b", stream="ping-named", expected_version=1)
    table = connection.ops.quote_name(PingTally._meta.db_table)
    query = f"SELECT name, 'ping-' || %s AS stream FROM {table} WHERE name = %s FOR UPDATE"

    with transaction.atomic():
        row, events = read_stream_found_by((query, ["named", "a"]))
        assert row == ("a", "ping-named")
        assert events == read_stream("ping-named")
        assert [e.version for e in events] == [1, 2]
        assert read_stream_found_by((query, ["nothing-here", "a"])) == (("a", "ping-nothing-here"), [])
        assert read_stream_found_by((query, ["named", "nobody"])) is None


@pytest.mark.postgres_only
def test_a_stream_read_on_a_condition_returns_it_whole_only_when_the_condition_finds_a_row() -> None:
    ping("a", stream="ping-cond")
    ping("b", stream="ping-cond", expected_version=1)
    table = connection.ops.quote_name(PingTally._meta.db_table)
    found = (f"SELECT name FROM {table} WHERE name = %s FOR UPDATE", ["a"])
    missing = (f"SELECT name FROM {table} WHERE name = %s FOR UPDATE", ["nobody"])

    with transaction.atomic():
        assert read_stream_if("ping-cond", found) == read_stream("ping-cond")
        assert [e.version for e in read_stream_if("ping-cond", found)] == [1, 2]
        assert read_stream_if("ping-cond", missing) == []
        assert read_stream_if("ping-cond", None) == []


def test_read_after_filters_by_bound_and_bucket_and_returns_every_field_as_stored() -> None:
    for name in "abcdef":
        ping(name)
    rows = list(Event.objects.order_by("position"))
    some_buckets = sorted({row.bucket for row in rows[::2]})

    bounded = read_after(1, up_to=4)
    in_buckets = read_after(0, buckets=some_buckets, types=["Pinged"])

    assert [e.position for e in bounded] == [2, 3, 4]
    assert [e.position for e in in_buckets] == [r.position for r in rows if r.bucket in some_buckets]
    assert read_after(0, buckets=[]) == []
    # The same envelope and payload as the model rows: UUIDs, timestamps and JSON decoded.
    assert read_after(0) == [RecordedEvent.from_row(row) for row in rows]
    assert [e.event.name for e in read_after(0)] == list("abcdef")


def test_read_streams_reads_many_streams_in_one_query_each_stream_oldest_first() -> None:
    with command_transaction() as uow:
        uow.append("ping-x", 0, [pinged("x1")])
        uow.append("ping-y", 0, [pinged("y1"), pinged("y2")])
        uow.append("ping-z", 0, [pinged("z1")])
    with command_transaction() as uow:
        uow.append("ping-x", 1, [pinged("x2")])

    with CaptureQueriesContext(connection) as queries:
        events = read_streams(["ping-y", "ping-x", "ping-y"])

    assert len(queries) == 1
    assert sorted((e.stream, e.version, e.event.name) for e in events) == [
        ("ping-x", 1, "x1"), ("ping-x", 2, "x2"), ("ping-y", 1, "y1"), ("ping-y", 2, "y2"),
    ]  # fmt: skip
    assert [e.event.name for e in events if e.stream == "ping-x"] == ["x1", "x2"]
    assert read_streams(["ping-x"], types=["Nope"]) == []


# --- immutability ---------------------------------------------------------------------------------


def _refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as error:
        return "append-only" in str(error)
    return False


def test_database_refuses_update_and_delete_of_events_even_by_raw_sql() -> None:
    ping("a")

    assert _refused("UPDATE eventstore_event SET type = 'Forged'")
    assert _refused("DELETE FROM eventstore_event")
    assert Event.objects.get().type == "Pinged"


def test_orm_cannot_change_or_delete_events_either() -> None:
    ping("a")

    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.update(type="Forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.all().delete()


@pytest.mark.postgres_only
def test_postgresql_refuses_truncate_of_events() -> None:
    ping("a")

    assert _refused("TRUNCATE eventstore_event CASCADE")
    assert Event.objects.count() == 1


# --- integrity chain --------------------------------------------------------------------------------


def test_verify_events_passes_on_an_untouched_log(capsys: pytest.CaptureFixture[str]) -> None:
    for name in "abc":
        ping(name)

    call_command("verify_events", no_progress=True)

    out = capsys.readouterr().out
    assert "chain: 3 events" in out
    assert "All checks passed." in out


def test_verify_events_reports_the_first_tampered_event_and_fails() -> None:
    for name in "abcd":
        ping(name)
    with triggers_suspended(connection), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE eventstore_event SET data = %s WHERE position = 3",
            [
                json.dumps(
                    {"name": "forged", "ping_id": str(uuid.UUID(int=0)), "at": "2026-01-01T00:00:00+00:00"}
                )
            ],
        )

    with pytest.raises(CommandError, match="chain broken at position 3"):
        call_command("verify_events", no_progress=True, skip_projections=True)


def test_verify_events_reports_a_removed_event_as_a_gap() -> None:
    for name in "abc":
        ping(name)
    with triggers_suspended(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM eventstore_event WHERE position = 2")

    with pytest.raises(CommandError, match="position 2 is missing"):
        call_command("verify_events", no_progress=True, skip_projections=True)


def test_counter_holds_the_last_position_and_hash() -> None:
    ping("a")
    ping("b")

    counter = PositionCounter.objects.get(pk=1)
    last = Event.objects.order_by("-position").first()

    assert (counter.position, counter.last_hash) == (last.position, last.hash)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")


def test_the_locked_section_is_one_statement_that_numbers_hashes_and_inserts() -> None:
    """On PostgreSQL the counter is locked, the hashes chained, the counter moved and the events
    inserted by one statement; no counter upsert, no version read under the lock: a stale version
    is caught by the unique constraint at the insert. SQLite takes the positions, inserts, and
    leaves the last hash on the counter."""
    ping("a", stream="ping-s")
    with CaptureQueriesContext(connection) as queries, command_transaction() as uow:
        _state, version = load_aggregate("ping-s", lambda state, event: state, None)
        uow.append("ping-s", version, [pinged("b")])
        read = len(queries.captured_queries)

    flushed = [
        q["sql"] for q in queries.captured_queries[read:] if not q["sql"].startswith(TRANSACTION_CONTROL)
    ]
    if connection.vendor == "postgresql":
        assert len(flushed) == 1, flushed
        assert "FOR NO KEY UPDATE" in flushed[0]
        assert 'INSERT INTO "eventstore_event"' in flushed[0]
    else:
        assert len(flushed) == 3, flushed
        assert flushed[0].startswith('UPDATE "eventstore_positioncounter" SET position = position +')
    assert "MAX(" not in " ".join(flushed)
    counter = PositionCounter.objects.get(pk=1)
    assert (counter.position, counter.last_hash) == (2, Event.objects.get(position=2).hash)


def test_events_appended_together_chain_their_hashes_as_the_verifier_computes_them() -> None:
    """Several events of several streams in one append (the chain is computed by the database
    on PostgreSQL): every stored hash is the one ``chain_hash`` gives, non-ASCII content too."""
    ping("a")
    with command_transaction() as uow:
        uow.append("ping-x", 0, [pinged("crème"), pinged("b")])
        uow.append("ping-y", 0, [pinged("日本")])

    previous = GENESIS
    for event in Event.objects.order_by("position"):
        tail = content_tail(
            event_id=str(event.event_id),
            stream=event.stream,
            version=event.version,
            type=event.type,
            schema_version=event.schema_version,
            data=event.data,
            metadata=event.metadata,
            recorded_at=event.recorded_at,
        )
        previous = chain_hash(previous, event.position, tail)
        assert event.hash == previous
    assert list(Event.objects.values_list("position", flat=True)) == [1, 2, 3, 4]
    assert PositionCounter.objects.get(pk=1).last_hash == previous
    call_command("verify_events", no_progress=True, skip_projections=True)


def test_a_version_read_by_the_command_is_not_looked_up_again_but_an_unread_one_is() -> None:
    ping("a", stream="ping-s")
    with CaptureQueriesContext(connection) as queries:
        ping("b", stream="ping-s", expected_version=1)  # not read in the command: one lookup

    assert sum('"eventstore_event"."version" = 1' in q["sql"] for q in queries.captured_queries) == 1


def test_the_counter_row_is_made_again_when_missing() -> None:
    PositionCounter.objects.all().delete()
    ping("a")

    assert PositionCounter.objects.get(pk=1).position == 1


# --- concurrency (real transactions on PostgreSQL) --------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_appends_with_the_same_expected_version_exactly_one_wins() -> None:
    ping("seed", stream="ping-race")
    both_appended = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def contender(name: str) -> None:
        try:
            with command_transaction() as uow:
                uow.append("ping-race", 1, [pinged(name)])
                both_appended.wait()  # both hold version 1 in hand before either commits
            outcomes.append("won")
        except ConcurrencyConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=contender, args=(n,)) for n in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(outcomes) == ["conflict", "won"]
    assert [e.version for e in read_stream("ping-race")] == [1, 2]


class _WriterHoldingTheCounter:
    """A thread that appends ``events`` to ``ping-first`` and flushes (taking their positions
    and the counter's lock), then holds its transaction open until ``commit()``."""

    def __init__(self, *events: DomainEvent) -> None:
        self._has_position = threading.Event()
        self._may_commit = threading.Event()
        self._thread = threading.Thread(target=self._write, args=(list(events),))

    def _write(self, events: list[DomainEvent]) -> None:
        try:
            with command_transaction() as uow:
                uow.append("ping-first", 0, events)
                uow.flush()  # takes the positions now; the commit waits
                self._has_position.set()
                self._may_commit.wait(10)
        finally:
            connection.close()

    def start(self) -> None:
        self._thread.start()
        assert self._has_position.wait(10)

    def commit(self) -> None:
        self._may_commit.set()
        self._thread.join(10)


def _second_writer(done: threading.Event) -> threading.Thread:
    def second() -> None:
        try:
            ping("second", stream="ping-second")
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    return thread


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_reader_following_positions_misses_no_event_that_commits_late() -> None:
    """T1 takes its position first and commits last; a reader polling meanwhile misses nothing."""
    first = _WriterHoldingTheCounter(pinged("first"))
    first.start()
    second_done = threading.Event()
    second = _second_writer(second_done)

    seen: list[str] = []
    cursor = 0

    def follow() -> None:
        nonlocal cursor
        for event in read_after(cursor, types=["Pinged"]):
            seen.append(event.stream)
            cursor = event.position or cursor

    # While T1 is open, T2 cannot take a later position and commit before it.
    assert not second_done.wait(0.5)
    follow()
    assert seen == []

    first.commit()
    second.join(10)
    follow()

    assert seen == ["ping-first", "ping-second"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_writer_that_waited_for_the_counter_chains_on_from_the_event_committed_meanwhile() -> None:
    """The second writer's statement starts while the first holds the counter; it must number
    and hash from the counter the first committed, not the one its statement started with."""
    first = _WriterHoldingTheCounter(pinged("first"), pinged("again"))
    first.start()
    second = _second_writer(threading.Event())
    second.join(0.5)
    assert second.is_alive()  # waiting for the counter's lock
    first.commit()
    second.join(10)

    assert list(Event.objects.values_list("position", "stream")) == [
        (1, "ping-first"),
        (2, "ping-first"),
        (3, "ping-second"),
    ]
    counter = PositionCounter.objects.get(pk=1)
    assert (counter.position, counter.last_hash) == (3, Event.objects.get(position=3).hash)
    call_command("verify_events", no_progress=True, skip_projections=True)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_writers_leave_a_gapless_chain() -> None:
    def writer(index: int) -> None:
        try:
            for _ in range(10):
                ping(f"w{index}")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    positions = list(Event.objects.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    assert Event.objects.filter(type="Pinged").count() == 80
    call_command("verify_events", no_progress=True, skip_projections=True)
