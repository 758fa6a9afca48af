"""Signing in: tokens that expire, are stored as digests and can be revoked; a lockout on every
way in that a made-up header cannot dodge; deactivated people sign in nowhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from marlin.api.authentication import TokenAuthentication, client_address
from people.commands import person_invite, person_update
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def sign_in(client: APIClient, username: str, password: str, **headers: str):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **headers)


def token_of(user) -> str:
    response = sign_in(APIClient(), user.username, PASSWORD)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# --- tokens ---------------------------------------------------------------------------------------------


def test_a_token_expires_and_says_when() -> None:
    user = make_user("contributor")
    response = sign_in(APIClient(), user.username, PASSWORD)
    token = response.json()["token"]
    expires_at = AuthToken.objects.get(user=user).expiry
    assert timedelta(hours=719) < expires_at - timezone.now() <= timedelta(hours=720)
    assert response.json()["expires_at"].startswith(expires_at.strftime("%Y-%m-%dT%H:%M"))
    assert bearer(token).get("/api/v1/me/").status_code == 200

    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))

    assert bearer(token).get("/api/v1/me/").status_code == 401


def test_a_token_and_its_person_are_read_in_one_statement_as_the_orm_reads_them() -> None:
    user = make_user("contributor", skills=["python", "go"])
    token = token_of(user)
    token_of(make_user("contributor"))  # another person's token, not to be found
    expected = AuthToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")

    with CaptureQueriesContext(connection) as queries:
        found_user, found_token = TokenAuthentication().authenticate_credentials(token.encode())
        person = found_token.user

    assert len(queries) == 1
    [orm_token] = expected
    assert found_token == orm_token
    assert person is found_user
    for model, got, want in [(AuthToken, found_token, orm_token), (type(person), person, orm_token.user)]:
        for field in model._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
    assert isinstance(person.skills, list)
    assert set(person.skills) == {"python", "go"}
    assert found_token.expiry.tzinfo is not None
    assert not found_token._state.adding
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials((token[:-1] + "x").encode())


def test_the_database_holds_no_usable_token() -> None:
    user = make_user("contributor")
    token = token_of(user)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)

    assert token not in stored
    assert token[:15] in stored  # knox keeps a short prefix to find the digest, not the key


def test_logout_revokes_that_token_only() -> None:
    user = make_user("contributor")
    first, second = token_of(user), token_of(user)

    response = bearer(first).post("/api/v1/auth/logout/")

    assert response.status_code == 204
    assert bearer(first).get("/api/v1/me/").status_code == 401
    assert bearer(second).get("/api/v1/me/").status_code == 200


def test_deactivation_revokes_every_token_and_stops_every_sign_in() -> None:
    user = make_user("contributor")
    token = token_of(user)
    browser = APIClient()
    browser.force_login(user)

    person_update(actor_id=None, user_id=user.pk, fields={"active": False})

    assert bearer(token).get("/api/v1/me/").status_code == 401
    assert browser.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()
    assert sign_in(APIClient(), user.username, PASSWORD).status_code == 400


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("ops", "post", "/api/v1/projects/", {"name": "Deactivated ops' project"}),
        ("ops", "patch", "/api/v1/people/{other}/", {"capacity": 1}),
        ("finance", "get", "/api/v1/payouts/report/?period=2026-W47", None),
        ("finance", "post", "/api/v1/statements/close/", {"period": "2026-W47"}),
    ],
)
def test_a_deactivated_controller_can_do_nothing(role, method, path, body) -> None:
    controller = make_user(role)
    other = make_user("contributor")
    token = token_of(controller)
    person_update(actor_id=None, user_id=controller.pk, fields={"active": False})

    response = getattr(bearer(token), method)(path.format(other=other.pk), body, format="json")

    assert response.status_code == 401


def test_a_new_invitation_revokes_password_tokens_and_sessions() -> None:
    user = make_user("contributor")
    token = token_of(user)
    browser = APIClient()
    browser.force_login(user)
    assert browser.get("/api/v1/me/").status_code == 200

    invitation = person_invite(actor_id=None, user_id=user.pk)

    assert bearer(token).get("/api/v1/me/").status_code == 401
    assert browser.get("/api/v1/me/").status_code == 401
    assert sign_in(APIClient(), user.username, PASSWORD).status_code == 400
    redeemed = APIClient().post(
        "/api/v1/auth/invitation/",
        {"token": invitation.token, "password": "a-fresh-passphrase"},
        format="json",
    )
    assert redeemed.status_code == 200
    assert sign_in(APIClient(), user.username, "a-fresh-passphrase").status_code == 200


def test_an_invitation_works_once_and_a_replaced_one_not_at_all() -> None:
    user = make_user("contributor")
    old = person_invite(actor_id=None, user_id=user.pk)
    new = person_invite(actor_id=None, user_id=user.pk)
    redeem = {"password": "a-fresh-passphrase"}

    replaced = APIClient().post("/api/v1/auth/invitation/", {**redeem, "token": old.token}, format="json")
    first = APIClient().post("/api/v1/auth/invitation/", {**redeem, "token": new.token}, format="json")
    again = APIClient().post("/api/v1/auth/invitation/", {**redeem, "token": new.token}, format="json")

    assert (replaced.status_code, replaced.json()["error"]["code"]) == (400, "invalid_invitation")
    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]["code"]) == (400, "invalid_invitation")


# --- lockout --------------------------------------------------------------------------------------------


def from_address(address: str) -> APIClient:
    return APIClient(REMOTE_ADDR=address)


def fail(times: int, username: str, **headers: str) -> list[int]:
    return [sign_in(APIClient(), username, "wrong-password", **headers).status_code for _ in range(times)]


def test_ten_failures_lock_the_username_whatever_address_or_header_it_comes_from() -> None:
    user = make_user("contributor")
    statuses = [
        sign_in(
            APIClient(REMOTE_ADDR=f"10.0.0.{i}"),
            user.username,
            "wrong-password",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{i}",
        ).status_code
        for i in range(10)
    ]

    locked = sign_in(
        APIClient(REMOTE_ADDR="10.9.9.9"), user.username, PASSWORD, HTTP_X_FORWARDED_FOR="8.8.8.8"
    )

    assert statuses == [400] * 9 + [429]
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "sign_in_locked"
    assert int(locked["Retry-After"]) >= 15 * 60


def test_a_locked_username_answers_the_same_with_the_right_or_a_wrong_password() -> None:
    user = make_user("contributor")
    fail(10, user.username)

    right = sign_in(APIClient(), user.username, PASSWORD)
    wrong = sign_in(APIClient(), user.username, "wrong-password")

    assert (right.status_code, right.json()["error"]) == (
        wrong.status_code,
        wrong.json()["error"] | {"request_id": right.json()["error"]["request_id"]},
    )


def test_the_lockout_lifts_after_its_window() -> None:
    user = make_user("contributor")
    fail(10, user.username)
    assert sign_in(APIClient(), user.username, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert sign_in(APIClient(), user.username, PASSWORD).status_code == 200


def test_ten_failures_from_one_address_lock_that_address_for_every_username() -> None:
    user = make_user("contributor")
    for i in range(10):
        sign_in(APIClient(REMOTE_ADDR="10.1.1.1"), f"nobody{i}", "wrong-password")

    assert sign_in(APIClient(REMOTE_ADDR="10.1.1.1"), user.username, PASSWORD).status_code == 429
    assert sign_in(APIClient(REMOTE_ADDR="10.2.2.2"), user.username, PASSWORD).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/login/", "/admin/login/"])
def test_the_session_and_admin_logins_are_locked_too(client, path) -> None:
    user = make_user(is_superuser=True)
    for _ in range(10):
        client.post(path, {"username": user.username, "password": "wrong-password"})

    response = client.post(path, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "sign_in_locked"
    assert "Retry-After" in response
    assert sign_in(APIClient(), user.username, PASSWORD).status_code == 429


# --- the client's address -------------------------------------------------------------------------------


def test_a_made_up_forwarded_header_is_ignored_unless_proxies_are_trusted(settings) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")

    settings.MARLIN_TRUSTED_PROXIES = 0
    assert client_address(request) == "10.0.0.5"
    assert AnonRateThrottle().get_ident(request) == "10.0.0.5"
    settings.MARLIN_TRUSTED_PROXIES = 1
    assert client_address(request) == "203.0.113.9"
