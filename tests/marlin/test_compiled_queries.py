"""Queries compiled once and run with new values answer exactly what the ORM answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from marlin.compiled_queries import ValueNotAParameter, compiled
from marlin.eventstore.models import Event
from people.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _people(level: int, floor: int) -> QuerySet[User]:
    return (
        User.objects.filter(reviewer_level__gte=level, pk__gt=floor)
        .filter(capacity__lt=30_011)  # a constant equal to a stand-in of the first compilation
        .order_by("pk")
        .values_list("pk", "reviewer_level")
    )


@compiled
def _compiled_people(level: int, floor: int) -> QuerySet[User]:
    return _people(level, floor)


def test_a_compiled_query_answers_as_the_orm_for_every_value() -> None:
    people = [make_user("reviewer", reviewer_level=level) for level in (1, 2, 3, 2)]
    floor = people[0].pk - 1

    for level in (1, 2, 3, 4):
        for start in (floor, people[1].pk):
            assert _compiled_people(level, start) == list(_people(level, start))


@pytest.mark.postgres_only
def test_a_compiled_querys_statement_is_what_it_runs_for_a_caller_to_embed() -> None:
    people = [make_user("reviewer", reviewer_level=level) for level in (1, 3)]
    floor = people[0].pk - 1

    sql, params = _compiled_people.statement(2, floor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) embedded", params)
        [(count,)] = cursor.fetchall()

    assert count == len(_compiled_people(2, floor)) == 1


@pytest.mark.postgres_only
def test_a_string_value_is_refused_as_a_value_since_it_could_be_any_kind_of_column() -> None:
    @compiled
    def latest(kind: str, *, limit: int) -> QuerySet[Event]:
        return Event.objects.filter(type=kind).order_by("-position").values_list("position")[:limit]

    with pytest.raises(ValueNotAParameter):  # a str has no stand-in: it is passed as a shape
        latest("TaskClaimed", limit=1)


@pytest.mark.postgres_only  # SQLite builds the queryset every time: nothing is compiled to refuse
def test_a_value_inlined_into_the_sql_is_refused_rather_than_run_wrong() -> None:
    @compiled
    def first_people(limit: int) -> QuerySet[User]:
        return User.objects.order_by("pk").values_list("pk")[:limit]

    with pytest.raises(ValueNotAParameter):
        first_people(3)


def test_a_shape_that_can_match_nothing_answers_nothing() -> None:
    make_user("reviewer")

    @compiled
    def among(floor: int, *, ids: tuple[int, ...]) -> QuerySet[User]:
        return User.objects.filter(pk__in=ids, pk__gt=floor).values_list("pk")

    assert among(0, ids=()) == []


@pytest.mark.postgres_only
def test_postgresql_runs_the_compiled_sql_with_new_values_without_the_orm_building_it() -> None:
    reviewer = make_user("reviewer", reviewer_level=2)
    _compiled_people(1, 0)
    built: list[Any] = []

    @compiled
    def spy(level: int, floor: int) -> QuerySet[User]:
        built.append((level, floor))
        return _people(level, floor)

    with CaptureQueriesContext(connection) as queries:
        assert spy(2, reviewer.pk - 1) == [(reviewer.pk, 2)]
        assert spy(3, reviewer.pk - 1) == []
        assert spy(1, reviewer.pk) == []

    assert len(built) == 2  # two stand-in compilations for the one shape, none per call
    assert len(queries.captured_queries) == 3


@pytest.mark.postgres_only
def test_small_integer_columns_take_new_values_in_the_type_the_backend_gives_them() -> None:
    since = make_user("reviewer").date_joined - timedelta(seconds=1)

    @compiled
    def joined(level: int, after: Any) -> QuerySet[User]:  # reviewer_level is a small integer
        return User.objects.filter(reviewer_level=level, date_joined__gt=after).values_list("pk")

    assert joined(1, since) == list(
        User.objects.filter(reviewer_level=1, date_joined__gt=since).values_list("pk")
    )
    assert joined(2, since) == []
