"""The row store's two backings mean the same thing: the same calls on SQL (live) and in memory
(a rebuild, flushed at the end) leave the same rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from marlin.kernel import clock
from marlin.projection_rows import Increment, MemoryRows, SqlRows, writes_together
from marlin.projections import table_rows
from reviews.models import ReviewerLoad
from tests.factories import make_user
from tests.support.models import PingTally

pytestmark = pytest.mark.django_db


def exercise(store: SqlRows | MemoryRows) -> list[tuple]:
    now = clock.now()
    store.insert(name="alice", last_at=now)
    store.insert_many([{"name": f"p{i}", "count": i, "last_at": now} for i in range(60)])  # a COPY live
    store.upsert(name="bob", count=1, last_at=now)
    store.upsert(name="bob", count=5, last_at=now + timedelta(minutes=1))
    store.update({"pk": "alice"}, count=Increment(3))
    store.update({"pk": "alice"}, count=Increment(-1))
    store.update({"count": 5}, last_at=now + timedelta(minutes=2))  # p5 and bob
    store.update({"pk__in": ["p1", "p2", "nobody"]}, count=Increment(10))
    store.delete(count=0)  # p0
    store.delete(pk="p3")
    return sorted(store.values("name", "count", count=12))


def test_the_sql_and_the_memory_backings_leave_the_same_rows() -> None:
    with clock.pinned_at(clock.now()):
        live_values = exercise(SqlRows(PingTally))
        live = list(table_rows(PingTally))
        PingTally.objects.all().delete()
        memory = MemoryRows(PingTally)
        memory_values = exercise(memory)
        memory.flush()

    assert list(table_rows(PingTally)) == live
    assert memory_values == live_values == [("p12", 12), ("p2", 12)]
    assert len(live) == 60


def test_a_duplicate_key_is_refused_in_memory_as_in_sql() -> None:
    memory = MemoryRows(PingTally)
    memory.insert(name="alice", last_at=clock.now())

    with pytest.raises(IntegrityError):
        memory.insert(name="alice", last_at=clock.now())


def test_writes_held_together_leave_the_same_rows_as_one_by_one() -> None:
    with clock.pinned_at(clock.now()):
        one_by_one_values = exercise(SqlRows(PingTally))
        one_by_one = list(table_rows(PingTally))
        PingTally.objects.all().delete()
        with writes_together():
            together_values = exercise(SqlRows(PingTally))
        together = list(table_rows(PingTally))

    assert together == one_by_one
    assert together_values == one_by_one_values


@pytest.mark.postgres_only
def test_writes_to_different_tables_go_out_as_one_statement_and_a_table_written_twice_splits() -> None:
    reviewer = make_user("reviewer")
    now = clock.now()

    with CaptureQueriesContext(connection) as queries, writes_together():
        SqlRows(PingTally).insert(name="alice", last_at=now)
        SqlRows(ReviewerLoad).update({"pk": reviewer.pk}, pending=Increment(2))
        SqlRows(PingTally).upsert(name="alice", count=7, last_at=now)  # the same table: a new statement
        SqlRows(ReviewerLoad).update({"pk": reviewer.pk}, last_assigned_at=now)

    assert len(queries) == 2
    assert queries[0]["sql"].startswith("WITH w0 AS (INSERT")
    assert list(PingTally.objects.values_list("name", "count")) == [("alice", 7)]
    assert ReviewerLoad.objects.filter(pk=reviewer.pk, pending=2, last_assigned_at=now).exists()


@pytest.mark.postgres_only
def test_a_read_inside_the_block_sees_the_writes_held_before_it() -> None:
    with writes_together():
        SqlRows(PingTally).insert(name="alice", count=3, last_at=clock.now())
        seen = SqlRows(PingTally).values("count", pk="alice")

    assert seen == [(3,)]


@pytest.mark.postgres_only
def test_an_update_inside_the_block_applies_to_a_row_inserted_before_it() -> None:
    # A written-out UPDATE sent at once, ahead of the held INSERT, would find no row to change.
    with writes_together():
        SqlRows(PingTally).insert(name="alice", count=1, last_at=clock.now())
        SqlRows(PingTally).update({"pk": "alice"}, count=Increment(3))

    assert list(PingTally.objects.values_list("name", "count")) == [("alice", 4)]
