"""A period is matched whole, wherever it comes in: ``2026-W47`` followed by a newline (or anything
else) is a 400 naming the field, never a 500 and never a silently empty answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marlin.kernel import clock
from marlin.kernel.errors import InvalidInput
from payments.models import ClosedPeriod
from payments.periods import parse_period
from tests.factories import client_for, make_project, make_user
from tests.support.approvals import given_approved
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

IN_W47 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
AFTER_W47 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def finance():
    return client_for(make_user("finance"))


def assert_400_naming(response, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize("text", ["2026-W47\n", "2026-W47\r\n", "\n2026-W47", " 2026-W47", "2026-W47 "])
def test_parse_period_refuses_anything_around_the_week(text) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_period(text)

    assert list(refused.value.fields) == ["period"]


@pytest.mark.parametrize("answer", ["json", "csv"])
def test_the_report_with_a_trailing_newline_in_the_period_is_400_in_json_and_csv(finance, answer) -> None:
    with clock.pinned_at(IN_W47):
        given_approved(make_project(), 1, [make_user("contributor")])
        settle()

    response = finance.get(f"/api/v1/payouts/report/?period=2026-W47%0A&format={answer}")

    assert_400_naming(response, "period")


def test_the_statements_filter_with_a_trailing_newline_is_400(finance) -> None:
    assert_400_naming(finance.get("/api/v1/statements/?period=2026-W47%0A"), "period")


@pytest.mark.parametrize("period", ["2026-W47%0A", "2026-W99", "last%20week"])
def test_the_payouts_period_filter_refuses_what_is_not_a_week(finance, period) -> None:
    assert_400_naming(finance.get(f"/api/v1/payouts/?period={period}"), "period")


def test_the_payouts_period_filter_still_filters_by_a_good_week(finance) -> None:
    with clock.pinned_at(IN_W47):
        given_approved(make_project(), 2, [make_user("contributor")])
        settle()

    assert finance.get("/api/v1/payouts/?period=2026-W47").json()["count"] == 2
    assert finance.get("/api/v1/payouts/?period=2026-W48").json()["count"] == 0


def test_closing_a_period_with_a_trailing_newline_is_400_and_closes_nothing(finance) -> None:
    with clock.pinned_at(AFTER_W47):
        response = finance.post("/api/v1/statements/close/", {"period": "2026-W47\n"}, format="json")

    assert_400_naming(response, "period")
    assert not ClosedPeriod.objects.exists()
