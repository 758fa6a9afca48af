"""The one error shape, for every kind of error the API gives."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from marlin.api.errors import exception_handler
from marlin.eventstore.models import Event
from marlin.kernel.errors import Conflict, NotFound
from tests.factories import PASSWORD, client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.urls")]


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "fields", "request_id"}
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"]
    assert error["request_id"] == response["X-Request-ID"]
    return error


def test_token_for_good_credentials_and_400_with_fields_for_missing_ones(api_client: APIClient) -> None:
    make_user(username="ada")

    good = api_client.post("/api/v1/auth/token/", {"username": "ada", "password": PASSWORD}, format="json")
    missing = api_client.post("/api/v1/auth/token/", {"username": "ada"}, format="json")

    assert good.status_code == 200
    assert len(good.json()["token"]) == 64
    assert good.json()["expires_at"]
    error = assert_error(missing, 400, "invalid")
    assert "password" in error["fields"]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(api_client: APIClient) -> None:
    make_user(username="ada")

    response = api_client.post("/api/v1/auth/token/", {"username": "ada", "password": "nope"}, format="json")

    assert_error(response, 400, "invalid")


def test_no_credentials_is_401_and_names_the_scheme(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/me/")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_is_401(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert_error(api_client.get("/api/v1/me/"), 401, "authentication_failed")


def test_me_shows_roles_and_qualifications() -> None:
    user = make_user("reviewer", "contributor", reviewer_level=2, skills=["python"], capacity=3)

    body = client_for(user).get("/api/v1/me/").json()

    assert body["roles"] == ["contributor", "reviewer"]
    assert (body["reviewer_level"], body["skills"], body["capacity"]) == (2, ["python"], 3)


def test_superuser_holds_ops_and_finance() -> None:
    admin = make_user(is_superuser=True, is_staff=True)

    assert client_for(admin).get("/api/v1/me/").json()["roles"] == ["ops", "finance"]


def test_a_role_that_may_not_gets_403() -> None:
    contributor = make_user("contributor")

    assert_error(client_for(contributor).get("/api/v1/events/"), 403, "not_allowed")


def test_unknown_path_is_404_in_the_same_shape(api_client: APIClient) -> None:
    assert_error(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_malformed_json_is_400_not_500() -> None:
    client = client_for(make_user())

    response = client.post("/test-support/ping/", data="{not json", content_type="application/json")

    assert_error(response, 400, "malformed_request")


def test_wrong_types_are_400_with_the_offending_fields() -> None:
    client = client_for(make_user())

    response = client.post("/test-support/ping/", {"name": ["x"], "expected_version": "many"}, format="json")

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"name", "expected_version"}


def test_a_command_that_does_not_fit_the_state_is_409() -> None:
    client = client_for(make_user())
    client.post("/test-support/ping/", {"name": "a", "stream": "ping-s"}, format="json")

    response = client.post("/test-support/ping/", {"name": "a", "stream": "ping-s"}, format="json")

    assert_error(response, 409, "concurrent_update")


def test_unsupported_method_is_405() -> None:
    assert_error(client_for(make_user()).delete("/api/v1/me/"), 405, "method_not_allowed")


def test_throttled_requests_get_429_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "2/minute"})
    cache.clear()
    client = client_for(make_user())
    try:
        responses = [client.get("/api/v1/me/") for _ in range(3)]
    finally:
        cache.clear()

    assert [r.status_code for r in responses[:2]] == [200, 200]
    assert_error(responses[2], 429, "throttled")
    assert int(responses[2]["Retry-After"]) > 0


def test_an_unexpected_error_is_a_logged_500_that_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(make_user())
    client.raise_request_exception = False

    response = client.get("/test-support/boom/", HTTP_X_REQUEST_ID="trace-abc-123")

    error = assert_error(response, 500, "server_error")
    assert "hunter2" not in response.content.decode()
    assert error["request_id"] == "trace-abc-123"
    assert any("trace-abc-123" in record.getMessage() for record in caplog.records)


def test_events_record_the_request_id_that_caused_them() -> None:
    client = client_for(make_user())
    client.post("/test-support/ping/", {"name": "a"}, format="json", HTTP_X_REQUEST_ID="req-12345678")

    assert Event.objects.get(type="Pinged").metadata["request_id"] == "req-12345678"


def test_a_refusal_with_context_carries_it_in_details_and_one_without_has_none() -> None:
    with_context = exception_handler(Conflict("held", code="claim_held", details={"task": "t-1"}), {})
    without = exception_handler(NotFound("no such task"), {})

    assert with_context.data["error"]["details"] == {"task": "t-1"}
    assert set(without.data["error"]) == {"status", "code", "message", "fields", "request_id"}
