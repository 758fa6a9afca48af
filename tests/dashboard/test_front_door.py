"""The front door: the API's root lists where everything is, signing in lands on the home page,
and the home page shows a person where their roles may go."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_the_api_root_lists_the_entry_points_to_anyone(client) -> None:
    response = client.get("/api/v1/")

    assert response.status_code == 200
    links = response.json()["links"]
    assert links["docs"].endswith("/api/v1/docs/")
    assert links["token"].endswith("/api/v1/auth/token/")


def test_signing_in_lands_on_the_home_page_which_knows_the_person(client) -> None:
    make_user("ops", username="olive")

    signed_in = client.post("/api/v1/login/", {"username": "olive", "password": PASSWORD})
    home = client.get(signed_in["Location"])

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert "Signed in as olive" in home.content.decode()
    assert 'href="/ops/"' in home.content.decode()
    assert "Sign out" in home.content.decode()


def test_a_stranger_gets_the_way_in(client) -> None:
    page = client.get("/").content.decode()

    assert 'href="/api/v1/login/?next=/"' in page
    assert "invitation" in page
