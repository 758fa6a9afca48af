"""Work roles (contributor, reviewer) and control roles (ops, finance) never sit on one person,
and a superuser holds no work role: one person can never both do the work and steer or pay it."""

from __future__ import annotations

import pytest

from marlin.eventstore.models import Event
from marlin.kernel.errors import InvalidInput
from people.domain import check_separation_of_duties
from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("roles", "superuser"),
    [
        (("contributor", "ops"), False),
        (("finance", "reviewer"), False),
        (("contributor", "reviewer", "ops", "finance"), False),
        (("contributor",), True),
    ],
)
def test_work_and_control_never_sit_on_one_person(roles, superuser) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_separation_of_duties(roles, superuser=superuser)

    assert refused.value.code == "role_conflict"


@pytest.mark.parametrize(
    ("roles", "superuser"),
    [(("contributor", "reviewer"), False), (("ops", "finance"), False), ((), True), (("ops",), True)],
)
def test_roles_of_one_kind_may_be_combined(roles, superuser) -> None:
    check_separation_of_duties(roles, superuser=superuser)


def test_ops_cannot_give_themselves_a_work_role() -> None:
    olga = make_user("ops")
    events = Event.objects.count()

    response = client_for(olga).patch(
        f"/api/v1/people/{olga.pk}/", {"roles": ["ops", "contributor"]}, format="json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "role_conflict")
    assert Event.objects.count() == events


def test_a_superuser_cannot_mix_them_either() -> None:
    admin = client_for(make_user(is_superuser=True))
    reviewer = make_user("reviewer")
    other_admin = make_user(is_superuser=True)

    mixed = admin.patch(f"/api/v1/people/{reviewer.pk}/", {"roles": ["reviewer", "finance"]}, format="json")
    registered = admin.post(
        "/api/v1/people/",
        {"username": "mix", "email": "m@example.com", "name": "Mix", "roles": ["finance", "contributor"]},
        format="json",
    )
    superuser_worker = admin.patch(
        f"/api/v1/people/{other_admin.pk}/", {"roles": ["contributor"]}, format="json"
    )

    assert [r.status_code for r in (mixed, registered, superuser_worker)] == [400, 400, 400]
    assert {r.json()["error"]["code"] for r in (mixed, registered, superuser_worker)} == {"role_conflict"}
