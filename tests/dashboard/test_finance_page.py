"""The finance page: the weeks' money as the API reports it, closing a week and paying statements
through the API's commands, the API's reports one click away; finance only."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marlin.eventstore.models import Event
from marlin.kernel import clock
from payments.models import ClosedPeriod, Statement
from tests.factories import client_for, make_project, make_user
from tests.support.approvals import given_approved
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday of 2026-W48: W47 is the last week
IN_W45 = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
IN_W46 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
IN_W47 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
IN_W48 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def thursday_of_w48():
    with clock.pinned_at(NOW):
        yield


def approved(project, n, contributors, at, prefix) -> list:
    with clock.pinned_at(at):
        task_ids = given_approved(project, n, contributors, prefix=prefix)
        settle()
    return task_ids


def figures_on(page, period: str) -> dict[str, dict[str, object]]:
    """The figures the page shows for ``period``, per currency, read from the HTML."""
    text = page.content.decode()
    section = text.split(f'id="period-{period}"', 1)[1].split('<div class="card', 1)[0]
    shown: dict[str, dict[str, object]] = {}
    for currency, row in re.findall(r'<tr data-currency="(\w+)">(.*?)</tr>', section, re.S):
        cells = dict(re.findall(r'data-figure="(\w+)">(?:<strong>)?([^<]*)<', row))
        shown[currency] = {
            name: int(value)
            if name.endswith(("_tasks", "contributors", "_count"))
            else Decimal(value.replace(",", ""))
            for name, value in cells.items()
        }
    return shown


def messages_on(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_page_shows_this_and_last_weeks_totals_as_the_report_api_gives_them(client) -> None:
    dollars, euros = make_project(), make_project(rate=Decimal("300.00"), currency="EUR")
    alice, bob = make_user("contributor"), make_user("contributor")
    w47 = approved(dollars, 5, [alice, bob], IN_W47, "d47")
    approved(euros, 2, [bob], IN_W47, "e47")
    approved(dollars, 3, [alice], IN_W48, "d48")
    client_for(make_user("ops")).post(
        f"/api/v1/tasks/{w47[0]}/reverse-approval/", {"reason": "dup"}, format="json"
    )
    settle()
    finance = make_user("finance")
    api = client_for(finance)
    client.force_login(finance)

    page = client.get("/finance/")

    assert page.status_code == 200
    for period in ("2026-W48", "2026-W47"):
        report = api.get("/api/v1/payouts/report/", {"period": period}).json()
        shown = figures_on(page, period)
        assert sorted(shown) == [total["currency"] for total in report["totals"]]
        for total in report["totals"]:
            figures = shown[total["currency"]]
            for name in ("gross", "reversals", "net"):
                assert figures[name] == Decimal(total[name]), (period, total["currency"], name)
            assert figures["approved_tasks"] == total["approved_tasks"]
            payees = {row["contributor"] for row in report["rows"] if row["currency"] == total["currency"]}
            assert figures["contributors"] == len(payees)
    assert figures_on(page, "2026-W47")["USD"]["net"] == Decimal("280.00") * 4  # 5 approved, 1 reversed
    assert figures_on(page, "2026-W47")["EUR"]["net"] == Decimal("600.00")


def test_the_statement_counts_and_amounts_are_those_of_the_statements_api(client) -> None:
    project = make_project()
    people = [make_user("contributor") for _ in range(3)]
    approved(project, 6, people, IN_W47, "w47")
    finance = make_user("finance")
    api = client_for(finance)
    api.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
    [first, *_] = api.get("/api/v1/statements/", {"period": "2026-W47"}).json()["results"]
    api.post(f"/api/v1/statements/{first['id']}/paid/", {"reference": "WIRE-1"}, format="json")
    statements = api.get("/api/v1/statements/", {"period": "2026-W47"}).json()["results"]
    client.force_login(finance)

    shown = figures_on(client.get("/finance/"), "2026-W47")["USD"]

    paid = [Decimal(s["total"]) for s in statements if s["status"] == "paid"]
    unpaid = [Decimal(s["total"]) for s in statements if s["status"] == "issued"]
    assert (shown["issued_count"], shown["issued_total"]) == (len(statements), sum(paid + unpaid))
    assert (shown["paid_count"], shown["paid_total"]) == (1, sum(paid))
    assert (shown["unpaid_count"], shown["unpaid_total"]) == (2, sum(unpaid))


def test_closing_the_last_week_from_the_page_issues_its_statements(client) -> None:
    project = make_project()
    alice, bob = make_user("contributor"), make_user("contributor")
    approved(project, 3, [alice, bob], IN_W47, "w47")
    client.force_login(make_user("finance"))

    confirm = client.get("/finance/close/", {"period": "2026-W47"})
    closed = client.post("/finance/close/", {"period": "2026-W47"}, follow=True)

    assert confirm.status_code == 200
    assert b"Close 2026-W47 and issue its statements" in confirm.content
    assert closed.redirect_chain == [("/finance/?period=2026-W47", 302)]
    assert messages_on(closed) == ["2026-W47 closed: 2 statements issued."]
    assert ClosedPeriod.objects.get(pk="2026-W47").statements == 2
    assert sorted(Statement.objects.filter(period="2026-W47").values_list("total_cents", flat=True)) == [
        28000,
        56000,
    ]
    assert figures_on(closed, "2026-W47")["USD"]["unpaid_count"] == 2
    assert closed.content.count(b'class="statement-row"') == 2


def test_closing_a_closed_week_again_says_it_was_already_closed_and_adds_nothing(client) -> None:
    approved(make_project(), 2, [make_user("contributor")], IN_W47, "w47")
    client.force_login(make_user("finance"))
    client.post("/finance/close/", {"period": "2026-W47"}, follow=True)  # its message shown
    events = Event.objects.count()

    again = client.post("/finance/close/", {"period": "2026-W47"}, follow=True)
    confirm = client.get("/finance/close/", {"period": "2026-W47"}, follow=True)

    [message] = messages_on(again)
    assert message.startswith("2026-W47 was already closed (at ")
    assert message.endswith(", 1 statements); nothing was added.")
    assert messages_on(confirm) == ["2026-W47 was already closed; its statements are below."]
    assert Event.objects.count() == events
    assert Statement.objects.filter(period="2026-W47").count() == 1


def test_the_current_week_cannot_close_before_it_ends_and_the_page_says_why(client) -> None:
    approved(make_project(), 1, [make_user("contributor")], IN_W48, "w48")
    client.force_login(make_user("finance"))

    refused = client.post("/finance/close/", {"period": "2026-W48"}, follow=True)

    assert messages_on(refused) == [
        "Refused (period_not_over): 2026-W48 is not over yet; close it after it ends"
    ]
    assert not ClosedPeriod.objects.filter(pk="2026-W48").exists()
    assert b'id="close-2026-W48"' not in refused.content  # no close button on an open week
    assert b'id="close-2026-W47"' in refused.content  # the last week is over and may close


def test_marking_a_statement_paid_from_the_page_records_its_reference(client) -> None:
    project = make_project()
    alice = make_user("contributor", name="Alice Payee")
    approved(project, 2, [alice], IN_W47, "w47")
    client.force_login(make_user("finance"))
    client.post("/finance/close/", {"period": "2026-W47"}, follow=True)  # its message shown
    statement = Statement.objects.get(period="2026-W47")
    back = {"period": "2026-W47", "status": "issued", "sort": "-total", "page": "1"}

    paid = client.post(f"/finance/statements/{statement.id}/paid/", {**back, "reference": " WIRE-42 "})

    assert paid.status_code == 302
    assert paid["Location"] == "/finance/?period=2026-W47&status=issued&sort=-total&page=1"
    statement.refresh_from_db()
    assert (statement.status, statement.reference) == ("paid", "WIRE-42")
    page = client.get(paid["Location"])
    assert messages_on(page) == [
        "Statement of Alice Payee for 2026-W47 (560.00 USD) marked paid, reference WIRE-42."
    ]
    assert b'class="statement-row"' not in page.content  # the unpaid filter no longer shows it


def test_a_refused_mark_paid_shows_the_refusal_and_writes_nothing(client) -> None:
    approved(make_project(), 1, [make_user("contributor")], IN_W47, "w47")
    client.force_login(make_user("finance"))
    client.post("/finance/close/", {"period": "2026-W47"}, follow=True)  # its message shown
    statement = Statement.objects.get(period="2026-W47")
    client.post(f"/finance/statements/{statement.id}/paid/", {"reference": "WIRE-1"}, follow=True)
    events = Event.objects.count()

    twice = client.post(f"/finance/statements/{statement.id}/paid/", {"reference": "WIRE-2"}, follow=True)
    blank = client.post(f"/finance/statements/{statement.id}/paid/", {"reference": " "}, follow=True)

    assert messages_on(twice) == [
        "Refused (already_paid): this statement was already paid (reference WIRE-1)"
    ]
    assert messages_on(blank)[0].startswith("Refused (already_paid)")
    statement.refresh_from_db()
    assert statement.reference == "WIRE-1"
    assert Event.objects.count() == events


def test_an_unpaid_statement_needs_a_reference(client) -> None:
    approved(make_project(), 1, [make_user("contributor")], IN_W47, "w47")
    client.force_login(make_user("finance"))
    client.post("/finance/close/", {"period": "2026-W47"}, follow=True)  # its message shown
    statement = Statement.objects.get(period="2026-W47")

    blank = client.post(f"/finance/statements/{statement.id}/paid/", {"reference": "  "}, follow=True)

    assert messages_on(blank) == [
        "Refused (invalid): Invalid input. reference: the payment's external reference is required"
        " (at most 200 characters)"
    ]
    statement.refresh_from_db()
    assert statement.paid_at is None


@pytest.fixture
def unpaid_statement_of_w47() -> Statement:
    """W47 closed by finance through the API: one unpaid statement; W46 is over and open."""
    project = make_project()
    approved(project, 1, [make_user("contributor")], IN_W46, "w46")
    approved(project, 1, [make_user("contributor")], IN_W47, "w47")
    client_for(make_user("finance")).post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
    return Statement.objects.get(period="2026-W47")


@pytest.mark.parametrize("role", ["ops", "contributor", "reviewer"])
def test_others_get_403_and_nothing_is_written(client, role, unpaid_statement_of_w47) -> None:
    client.force_login(make_user(role))
    events = Event.objects.count()

    answers = [
        client.get("/finance/").status_code,
        client.get("/finance/close/", {"period": "2026-W46"}).status_code,
        client.post("/finance/close/", {"period": "2026-W46"}).status_code,
        client.post(
            f"/finance/statements/{unpaid_statement_of_w47.id}/paid/", {"reference": "X"}
        ).status_code,
    ]

    assert answers == [403, 403, 403, 403]
    assert Event.objects.count() == events
    assert not ClosedPeriod.objects.filter(pk="2026-W46").exists()
    unpaid_statement_of_w47.refresh_from_db()
    assert unpaid_statement_of_w47.paid_at is None


def test_strangers_are_sent_to_sign_in(client, unpaid_statement_of_w47) -> None:
    events = Event.objects.count()

    answers = [
        client.get("/finance/"),
        client.post("/finance/close/", {"period": "2026-W46"}),
        client.post(f"/finance/statements/{unpaid_statement_of_w47.id}/paid/", {"reference": "X"}),
    ]

    for answer in answers:
        assert answer.status_code == 302
        assert answer["Location"].startswith("/api/v1/login/?next=/finance/")
    assert Event.objects.count() == events


def test_a_superuser_may_use_the_finance_page(client) -> None:
    client.force_login(make_user(is_superuser=True))

    assert client.get("/finance/").status_code == 200


def test_the_statements_table_pages_50_at_a_time_filters_by_status_and_sorts(client) -> None:
    project = make_project()
    people = [make_user("contributor", name=f"Payee {i:02d}") for i in range(51)]
    approved(project, 52, people, IN_W47, "w47")  # Payee 00 has two tasks
    client.force_login(make_user("finance"))
    client.post("/finance/close/", {"period": "2026-W47"}, follow=True)  # its message shown
    first = Statement.objects.get(period="2026-W47", contributor=people[50])
    client.post(f"/finance/statements/{first.id}/paid/", {"reference": "WIRE-50"}, follow=True)

    page_1 = client.get("/finance/", {"period": "2026-W47"})
    page_2 = client.get("/finance/", {"period": "2026-W47", "page": 2})
    paid = client.get("/finance/", {"period": "2026-W47", "status": "paid"})
    unpaid = client.get("/finance/", {"period": "2026-W47", "status": "issued"})
    by_total = client.get("/finance/", {"period": "2026-W47", "sort": "-total"})
    by_status = client.get("/finance/", {"period": "2026-W47", "sort": "-status"})

    def names(page) -> list[str]:
        return [row.statement.contributor.name for row in page.context["rows"]]

    assert names(page_1) == [f"Payee {i:02d}" for i in range(50)]
    assert names(page_2) == ["Payee 50"]
    assert b'href="?period=2026-W47&amp;page=2">next' in page_1.content
    assert names(paid) == ["Payee 50"]
    assert names(unpaid) == [f"Payee {i:02d}" for i in range(50)]
    assert names(by_total)[0] == "Payee 00"
    assert names(by_status)[0] == "Payee 50"
    assert page_1.content.count(b">Mark paid</button>") == 50
    assert paid.content.count(b">Mark paid</button>") == 0


def test_earlier_weeks_with_unpaid_statements_are_listed(client) -> None:
    project = make_project()
    alice = make_user("contributor")
    approved(project, 1, [alice], IN_W46, "w46")
    client.force_login(make_user("finance"))
    client.post("/finance/close/", {"period": "2026-W46"}, follow=True)

    listed = client.get("/finance/")
    statement = Statement.objects.get(period="2026-W46")
    client.post(f"/finance/statements/{statement.id}/paid/", {"reference": "WIRE-46"}, follow=True)
    after = client.get("/finance/")

    earlier = [(u.period, u.currency, u.count, u.total) for u in listed.context["earlier_unpaid"]]
    assert earlier == [("2026-W46", "USD", 1, Decimal("280.00"))]
    assert b"/finance/?period=2026-W46&amp;status=issued" in listed.content
    assert after.context["earlier_unpaid"] == []


def test_the_download_links_answer_the_signed_in_session_as_the_api_answers_a_token(client) -> None:
    approved(make_project(), 3, [make_user("contributor", name="=Formula")], IN_W47, "w47")
    finance = make_user("finance")
    api = client_for(finance)
    client.force_login(finance)

    page = client.get("/finance/").content.decode()
    links = [html.unescape(href) for href in re.findall(r'<a download href="([^"]+)"', page)]

    assert len(links) == 8  # report and controls, JSON and CSV, for this week and last week
    assert "/api/v1/payouts/report/?period=2026-W47&format=csv" in links
    assert "/api/v1/payouts/controls/?period=2026-W47&format=json" in links
    for link in links:
        by_session, by_token = client.get(link), api.get(link)
        assert by_session.status_code == 200, link
        assert by_session["Content-Type"] == by_token["Content-Type"]
        assert by_session.getvalue() == by_token.getvalue(), link
    report_csv = client.get("/api/v1/payouts/report/?period=2026-W47&format=csv")
    assert report_csv["Content-Disposition"] == 'attachment; filename="payouts-2026-W47.csv"'
    assert "'=Formula" in report_csv.getvalue().decode()


def test_the_page_takes_as_many_queries_for_51_statements_as_for_1(client) -> None:
    project = make_project()
    approved(project, 1, [make_user("contributor")], IN_W45, "w45")
    approved(project, 51, [make_user("contributor") for _ in range(51)], IN_W46, "w46")
    client.force_login(make_user("finance"))
    for period in ("2026-W45", "2026-W46"):
        client.post("/finance/close/", {"period": period}, follow=True)

    with CaptureQueriesContext(connection) as one:
        client.get("/finance/", {"period": "2026-W45"})
    with CaptureQueriesContext(connection) as many:
        shown = client.get("/finance/", {"period": "2026-W46"})

    assert len(shown.context["rows"]) == 50
    assert len(many) == len(one) < 25
