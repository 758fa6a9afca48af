"""``people/``: ops manage people; every change is an event; nobody else may."""

from __future__ import annotations

import pytest

from marlin.eventstore.models import Event
from people.models import PersonSkill, User
from tests.factories import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db

NEW_PERSON = {
    "username": "grace",
    "email": "grace@example.com",
    "name": "Grace Hopper",
    "roles": ["reviewer", "contributor"],
    "reviewer_level": 3,
    "skills": ["Python", "cobol"],
    "capacity": 4,
}


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


def test_ops_register_a_person_who_signs_in_after_redeeming_the_invitation(ops, api_client) -> None:
    response = ops.post("/api/v1/people/", NEW_PERSON, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["roles"] == ["contributor", "reviewer"]
    assert body["skills"] == ["cobol", "python"]
    invitation = body["invitation"]
    assert invitation["url"].endswith("/api/v1/auth/invitation/")
    sign_in = {"username": "grace", "password": "a-long-enough-passphrase"}
    assert api_client.post("/api/v1/auth/token/", sign_in, format="json").status_code == 400
    redeemed = api_client.post(
        "/api/v1/auth/invitation/",
        {"token": invitation["token"], "password": sign_in["password"]},
        format="json",
    )
    assert (redeemed.status_code, redeemed.json()["username"]) == (200, "grace")
    token = api_client.post("/api/v1/auth/token/", sign_in, format="json")
    assert token.status_code == 200
    assert set(token.json()) == {"token", "expires_at"}
    log = str(list(Event.objects.filter(stream=f"person-{body['id']}").values_list("type", "data")))
    assert invitation["token"] not in log
    assert sign_in["password"] not in log
    assert "PersonInvited" in log
    assert "PersonPasswordSet" in log


def test_changes_are_events_and_only_real_changes_are_recorded(ops) -> None:
    person = make_user("contributor", skills=["python"])

    response = ops.patch(
        f"/api/v1/people/{person.pk}/",
        {"capacity": 9, "skills": ["python", "rust"], "roles": ["contributor"]},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["capacity"], response.json()["skills"]) == (9, ["python", "rust"])
    [update] = Event.objects.filter(type="PersonUpdated", stream=f"person-{person.pk}")
    assert update.data["changes"] == {"capacity": 9, "skills": ["python", "rust"]}
    assert set(PersonSkill.objects.filter(user=person).values_list("skill", flat=True)) == {"python", "rust"}


def test_nobody_sets_another_persons_password(ops) -> None:
    person = make_user("contributor")

    response = ops.patch(f"/api/v1/people/{person.pk}/", {"password": "brand-new-passphrase"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["password"] == ["unknown field"]
    assert not Event.objects.filter(type="PersonPasswordSet").exists()


def test_a_user_made_outside_marlin_is_registered_in_the_log_on_first_change(ops) -> None:
    outsider = User.objects.create_user(username="legacy", password=PASSWORD, email="l@example.com")

    response = ops.patch(f"/api/v1/people/{outsider.pk}/", {"roles": ["contributor"]}, format="json")

    assert response.status_code == 200
    types = list(Event.objects.filter(stream=f"person-{outsider.pk}").values_list("type", flat=True))
    assert types == ["PersonRegistered", "PersonUpdated"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"roles": ["overlord"]}, "roles"),
        ({"reviewer_level": 9}, "reviewer_level"),
        ({"password": "a-long-enough-passphrase"}, "password"),
        ({"username": "bad name!"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"capacity": "lots"}, "capacity"),
        ({"shoe_size": 44}, "shoe_size"),
    ],
)
def test_invalid_people_are_refused_with_the_field_and_nothing_is_written(ops, change, field) -> None:
    before = (User.objects.count(), Event.objects.count())

    response = ops.post("/api/v1/people/", {**NEW_PERSON, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert (User.objects.count(), Event.objects.count()) == before


def test_a_taken_username_is_refused(ops) -> None:
    make_user(username="grace")

    response = ops.post("/api/v1/people/", {**NEW_PERSON, "username": "GRACE"}, format="json")

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_people_are_listed_with_filters(ops) -> None:
    make_user("reviewer", name="Rita Review")
    make_user("contributor", active=False)

    reviewers = ops.get("/api/v1/people/", {"role": "reviewer"}).json()
    inactive = ops.get("/api/v1/people/", {"active": "false"}).json()
    found = ops.get("/api/v1/people/", {"search": "rita"}).json()

    assert [p["name"] for p in reviewers["results"]] == ["Rita Review"]
    assert inactive["count"] == 1
    assert found["count"] == 1
    assert ops.get("/api/v1/people/", {"role": "wizard"}).status_code == 400


@pytest.mark.parametrize("role", ["contributor", "reviewer", "finance"])
def test_only_ops_manage_people(role) -> None:
    client = client_for(make_user(role))
    other = make_user("contributor")

    assert client.get("/api/v1/people/").status_code == 403
    assert client.post("/api/v1/people/", NEW_PERSON, format="json").status_code == 403
    assert client.get(f"/api/v1/people/{other.pk}/").status_code == 403
    assert client.patch(f"/api/v1/people/{other.pk}/", {"capacity": 1}, format="json").status_code == 403


def test_a_superuser_may_do_what_ops_may() -> None:
    admin = client_for(make_user(is_superuser=True))

    assert admin.post("/api/v1/people/", NEW_PERSON, format="json").status_code == 201


def test_an_unknown_person_is_404(ops) -> None:
    assert ops.get("/api/v1/people/999999/").status_code == 404
    assert ops.patch("/api/v1/people/999999/", {"capacity": 1}, format="json").status_code == 404


def test_ops_may_not_grant_ops_or_finance_or_touch_privileged_people(ops) -> None:
    admin = make_user(is_superuser=True)
    other_ops = make_user("ops")
    finance = make_user("finance")
    me = ops.get("/api/v1/me/").json()["id"]

    refusals = [
        ops.post("/api/v1/people/", {**NEW_PERSON, "roles": ["finance"]}, format="json"),
        ops.patch(f"/api/v1/people/{me}/", {"roles": ["ops", "finance"]}, format="json"),
        ops.post(f"/api/v1/people/{admin.pk}/invite/"),
        ops.post(f"/api/v1/people/{other_ops.pk}/invite/"),
        ops.patch(f"/api/v1/people/{finance.pk}/", {"active": False}, format="json"),
    ]

    assert [r.status_code for r in refusals] == [403] * 5
    assert {r.json()["error"]["code"] for r in refusals} == {"privileged_role", "privileged_person"}
    assert ops.patch(f"/api/v1/people/{me}/", {"name": "Olga O."}, format="json").status_code == 200


def test_a_superuser_grants_privileged_roles() -> None:
    admin = client_for(make_user(is_superuser=True))
    person = make_user("contributor")

    response = admin.patch(f"/api/v1/people/{person.pk}/", {"roles": ["finance"]}, format="json")

    assert response.status_code == 200
    assert response.json()["roles"] == ["finance"]
