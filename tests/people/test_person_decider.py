"""The person decider: registration, real changes only, activity."""

from __future__ import annotations

from functools import reduce

import pytest

from marlin.kernel.errors import Conflict, InvalidInput
from people.domain import (
    PersonDeactivated,
    PersonPasswordSet,
    PersonReactivated,
    PersonState,
    PersonUpdated,
    decide_register,
    decide_update,
    evolve,
)


def registered(**fields: object) -> list:
    return decide_register(PersonState(), user_id=3, username="ana", fields={"name": "Ana", **fields})


def given(*events: object) -> PersonState:
    return reduce(evolve, events, PersonState())


def test_registration_normalizes_roles_and_skills() -> None:
    [event] = registered(roles=["reviewer", "contributor"], skills=["Python", "go", "python"])

    assert event.roles == ("contributor", "reviewer")
    assert event.skills == ("go", "python")
    assert (event.reviewer_level, event.capacity, event.active) == (1, 5, True)


@pytest.mark.parametrize(
    ("field", "value"),
    [("roles", ["admin"]), ("reviewer_level", 6), ("capacity", -1), ("skills", ["no spaces"]), ("name", " ")],
)
def test_registration_outside_the_rules_is_refused_by_field(field: str, value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        registered(**{field: value})

    assert field in refused.value.fields


def test_registering_twice_is_refused() -> None:
    with pytest.raises(Conflict):
        decide_register(given(*registered()), user_id=3, username="ana", fields={"name": "Ana"})


def test_an_update_records_only_the_fields_that_change() -> None:
    state = given(*registered(capacity=5, reviewer_level=1))

    events = decide_update(state, fields={"capacity": 8, "reviewer_level": 1, "name": "Ana"})

    assert events == [PersonUpdated(3, {"capacity": 8})]
    assert given(*registered(), *events).profile.capacity == 8


def test_deactivation_reactivation_and_password_are_their_own_events() -> None:
    state = given(*registered())

    assert decide_update(state, fields={"active": False}) == [PersonDeactivated(3)]
    assert decide_update(given(*registered(), PersonDeactivated(3)), fields={"active": True}) == [
        PersonReactivated(3)
    ]
    assert decide_update(state, fields={}, password_set=True) == [PersonPasswordSet(3)]
    assert decide_update(state, fields={"active": True}) == []
