"""The finance page in a real browser (headless Chromium driven by Selenium): finance signs in,
sees this week's net as the report API gives it, closes last week and pays a statement."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from knox.models import AuthToken
from selenium.webdriver.common.by import By

from marlin.kernel import clock
from payments.periods import period_of
from tests.factories import make_project, make_user
from tests.support.approvals import given_approved
from tests.support.browser import api_status, sign_in, text_after_post
from tests.support.settle import settle

pytestmark = pytest.mark.django_db(transaction=True)


def test_finance_sees_the_weeks_net_closes_last_week_and_pays_a_statement(browser, live_server) -> None:
    # The live server runs on the real clock, so the weeks are the real this week and last week.
    now = clock.now()
    this_week, last_week = period_of(now), period_of(now - timedelta(days=7))
    project = make_project()
    alice, bob = make_user("contributor", name="Alice Able"), make_user("contributor", name="Bob Baker")
    given_approved(project, 3, [alice, bob], approved_at=now - timedelta(days=7), prefix="last")
    given_approved(project, 2, [alice], approved_at=now, prefix="this")
    settle()
    fiona = make_user("finance", username="fiona")
    _, token = AuthToken.objects.create(fiona)
    _, report = api_status(live_server.url, f"/api/v1/payouts/report/?period={this_week}", token)
    [total] = report["totals"]

    sign_in(browser, live_server.url, "fiona")
    browser.find_element(By.LINK_TEXT, "Finance").click()

    net = browser.find_element(
        By.CSS_SELECTOR, f"#period-{this_week} tr[data-currency=USD] [data-figure=net]"
    )
    assert Decimal(net.text.replace(",", "")) == Decimal(total["net"]) == Decimal("560.00")

    browser.find_element(By.ID, f"close-{last_week}").click()
    browser.find_element(By.ID, "confirm-close-button").click()
    messages = text_after_post(browser, "#messages", f"{last_week} closed")
    assert messages == f"{last_week} closed: 2 statements issued."
    rows = browser.find_elements(By.CSS_SELECTOR, "#statements .statement-row")
    assert [row.find_element(By.TAG_NAME, "td").text.split(" #")[0] for row in rows] == [
        "Alice Able",
        "Bob Baker",
    ]

    rows[0].find_element(By.NAME, "reference").send_keys("WIRE-2026-0042")
    rows[0].find_element(By.XPATH, ".//button[text()='Mark paid']").click()

    assert "marked paid, reference WIRE-2026-0042" in text_after_post(browser, "#messages", "marked paid")
    _, statements = api_status(live_server.url, f"/api/v1/statements/?period={last_week}", token)
    paid = [
        (s["contributor_name"], s["total"], s["reference"])
        for s in statements["results"]
        if s["status"] == "paid"
    ]
    assert paid == [("Alice Able", "560.00", "WIRE-2026-0042")]
    assert browser.find_element(By.CSS_SELECTOR, f"#period-{last_week} [data-figure=paid_count]").text == "1"
