"""The period report reconciles to the cent, in JSON and in CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from marlin.kernel import clock
from tests.factories import client_for, make_project, make_user
from tests.support.approvals import given_approved
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

IN_W47 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def csv_rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_1000_approvals_over_50_contributors_reconcile_to_the_cent_in_json_and_csv() -> None:
    project = make_project()
    contributors = [make_user("contributor", name=f'Engineer "{i}", Jr.') for i in range(50)]
    ops = client_for(make_user("ops"))
    finance = client_for(make_user("finance"))
    with clock.pinned_at(IN_W47):
        task_ids = given_approved(project, 1000, contributors)
        settle()
        for task_id in task_ids[:37]:
            ops.post(f"/api/v1/tasks/{task_id}/reverse-approval/", {"reason": "duplicate"}, format="json")
        settle()

    body = finance.get("/api/v1/payouts/report/", {"period": "2026-W47"}).json()
    rows = csv_rows(finance.get("/api/v1/payouts/report/", {"period": "2026-W47", "format": "csv"}))

    expected = {"approved_tasks": 1000, "gross": "280000.00", "reversals": "10360.00", "net": "269640.00"}
    assert Decimal("280.00") * 1000 - Decimal("280.00") * 37 == Decimal(expected["net"])
    [total] = body["totals"]
    assert total == {"currency": "USD", **expected}
    assert len(body["rows"]) == 50
    assert sum(Decimal(r["net"]) for r in body["rows"]) == Decimal(expected["net"])
    assert sum(r["approved_tasks"] for r in body["rows"]) == 1000
    for row in body["rows"]:
        assert Decimal(row["gross"]) - Decimal(row["reversals"]) == Decimal(row["net"])
        assert row["ytd_net"] == row["net"]
        assert row["statement_status"] == "open"

    [csv_total] = [r for r in rows if r["contributor"] == "TOTAL"]
    people = [r for r in rows if r["contributor"] != "TOTAL"]
    assert list(rows[0]) == [
        "contributor", "name", "email", "approved_tasks", "gross", "reversals", "net", "currency",
        "statement_status", "ytd_net",
    ]  # fmt: skip
    assert {k: csv_total[k] for k in ("approved_tasks", "gross", "reversals", "net")} == {
        **expected,
        "approved_tasks": "1000",
    }
    assert sum(Decimal(r["net"]) for r in people) == Decimal(expected["net"])
    assert [(r["contributor"], r["name"], r["net"]) for r in people] == [
        (str(r["contributor"]), r["name"], r["net"]) for r in body["rows"]
    ]
    assert people[0]["name"].startswith('Engineer "')


def test_statement_status_and_year_to_date_follow_the_periods() -> None:
    project = make_project()
    alice = make_user("contributor")
    finance = client_for(make_user("finance"))
    with clock.pinned_at(IN_W47):
        given_approved(project, 2, [alice], prefix="w47")
        settle()
    with clock.pinned_at(datetime(2026, 11, 25, tzinfo=UTC)):
        given_approved(project, 1, [alice], prefix="w48")
        settle()
        finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")

    w47 = finance.get("/api/v1/payouts/report/", {"period": "2026-W47"}).json()["rows"][0]
    w48 = finance.get("/api/v1/payouts/report/", {"period": "2026-W48"}).json()["rows"][0]

    assert (w47["net"], w47["statement_status"], w47["ytd_net"]) == ("560.00", "issued", "560.00")
    assert (w48["net"], w48["statement_status"], w48["ytd_net"]) == ("280.00", "open", "840.00")


def test_a_bad_or_missing_period_is_400_in_the_error_shape_even_for_csv() -> None:
    finance = client_for(make_user("finance"))

    for params in ({}, {"period": "last week"}, {"period": "2026-W60", "format": "csv"}):
        response = finance.get("/api/v1/payouts/report/", params)
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["period"]


def test_an_empty_period_has_no_rows_and_no_totals() -> None:
    finance = client_for(make_user("finance"))

    body = finance.get("/api/v1/payouts/report/", {"period": "2026-W01"}).json()
    rows = csv_rows(finance.get("/api/v1/payouts/report/", {"period": "2026-W01", "format": "csv"}))

    assert body == {"period": "2026-W01", "rows": [], "totals": []}
    assert rows == []


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_reports_and_exports_read_from_the_replica_when_one_is_configured(settings) -> None:
    project = make_project()
    with clock.pinned_at(IN_W47):
        given_approved(project, 3, [make_user("contributor")])
        settle()
    finance, ops = client_for(make_user("finance")), client_for(make_user("ops"))
    settings.MARLIN_REPORTS_DATABASE = "replica"

    with CaptureQueriesContext(connections["replica"]) as report_reads:
        body = finance.get("/api/v1/payouts/report/", {"period": "2026-W47"}).json()
    with CaptureQueriesContext(connections["replica"]) as export_reads:
        b"".join(ops.get("/api/v1/exports/preferences/", {"project": str(project.id)}).streaming_content)

    assert body["totals"][0]["net"] == "840.00"
    assert "payments_payoutentry" in " ".join(q["sql"] for q in report_reads.captured_queries)
    assert "tasks_task" in " ".join(q["sql"] for q in export_reads.captured_queries)


# A leading tab or carriage return never survives registration (names are stripped); the CSV
# helper's own tests cover those.
FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "-cmd|' /C calc'!A0"]


def test_names_that_would_start_a_formula_reach_the_csv_as_text_and_amounts_stay_numbers() -> None:
    project = make_project()
    people = [make_user("contributor", name=name) for name in FORMULA_NAMES]
    finance, ops = client_for(make_user("finance")), client_for(make_user("ops"))
    with clock.pinned_at(IN_W47):
        task_ids = given_approved(project, len(people), people)
        settle()
    with clock.pinned_at(datetime(2026, 11, 25, tzinfo=UTC)):
        finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
        ops.post(f"/api/v1/tasks/{task_ids[0]}/reverse-approval/", {"reason": "duplicate"}, format="json")
        settle()

    w47 = csv_rows(finance.get("/api/v1/payouts/report/", {"period": "2026-W47", "format": "csv"}))
    w48 = csv_rows(finance.get("/api/v1/payouts/report/", {"period": "2026-W48", "format": "csv"}))

    names = [r["name"] for r in w47 if r["contributor"] != "TOTAL"]
    assert sorted(names) == sorted(f"'{name}" for name in FORMULA_NAMES)
    [reversed_row, reversed_total] = w48
    assert (reversed_row["name"], reversed_row["net"], reversed_row["reversals"]) == (
        f"'{FORMULA_NAMES[0]}",
        "-280.00",
        "280.00",
    )
    assert (reversed_total["contributor"], reversed_total["net"]) == ("TOTAL", "-280.00")
    # The JSON report is data, not a spreadsheet: names stay exactly as written.
    body = finance.get("/api/v1/payouts/report/", {"period": "2026-W47"}).json()
    assert sorted(r["name"] for r in body["rows"]) == sorted(FORMULA_NAMES)
