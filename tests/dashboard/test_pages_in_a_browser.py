"""The pages in a real browser (headless Chromium driven by Selenium): sign in, find your way,
make an API token that works, revoke it, sign out; ops see the queues the API reports."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.browser import api_status, sign_in, text_after_post
from tests.support.settle import settle

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_signs_in_makes_a_token_that_works_revokes_it_and_signs_out(browser, live_server) -> None:
    make_user("contributor", username="carla")

    sign_in(browser, live_server.url, "carla")

    assert browser.find_element(By.ID, "welcome").text == "Signed in as carla"
    browser.find_element(By.LINK_TEXT, "API tokens").click()
    browser.find_element(By.ID, "create-token").click()
    token = browser.find_element(By.ID, "new-token").text
    status, me = api_status(live_server.url, "/api/v1/me/", token)
    assert (status, me["username"]) == (200, "carla")
    row = browser.find_element(By.CSS_SELECTOR, ".token-row")
    row.find_element(By.TAG_NAME, "button").click()
    # The revoke reloads the page; a check that lands mid-navigation is ignored and tried again.
    WebDriverWait(browser, 10, ignored_exceptions=[WebDriverException]).until(
        lambda page: page.find_elements(By.CSS_SELECTOR, ".token-row") == []
    )
    assert browser.find_elements(By.CSS_SELECTOR, ".token-row") == []
    assert api_status(live_server.url, "/api/v1/me/", token)[0] == 401
    browser.find_element(By.ID, "sign-out").click()
    assert browser.find_element(By.ID, "sign-in").is_displayed()


def test_ops_see_in_the_queues_page_the_numbers_the_api_gives(browser, live_server) -> None:
    project = make_project(name="Browser project")
    import_tasks(project, 4)
    make_user("reviewer")
    submitted_task(project)
    settle()
    opal = make_user("ops", username="opal")
    _, token = AuthToken.objects.create(opal)
    _, overview = api_status(live_server.url, "/api/v1/queues/", token)
    [counted] = [p for p in overview["projects"] if p["name"] == "Browser project"]

    sign_in(browser, live_server.url, "opal")
    browser.find_element(By.LINK_TEXT, "Queues").click()

    row = browser.find_element(By.CSS_SELECTOR, f"#projects tr[data-project='{project.id}']")
    shown = {
        state: int(row.find_element(By.CSS_SELECTOR, f"td.{state} ").text.split()[0])
        for state in (
            "open",
            "claimed",
            "in-review",
            "changes-requested",
            "overdue-claims",
            "overdue-reviews",
        )
    }
    assert shown == {
        "open": counted["tasks"]["open"]["count"],
        "claimed": counted["tasks"]["claimed"]["count"],
        "in-review": counted["tasks"]["in_review"]["count"],
        "changes-requested": counted["tasks"]["changes_requested"]["count"],
        "overdue-claims": counted["overdue_claims"],
        "overdue-reviews": counted["overdue_reviews"],
    }
    totals = {
        state: sum(p["tasks"][state]["count"] for p in overview["projects"])
        for state in ("open", "in_review")
    }
    assert int(browser.find_element(By.ID, "total-open").text) == totals["open"]
    assert int(browser.find_element(By.ID, "total-in-review").text) == totals["in_review"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == 4


def test_ops_reassign_a_review_through_the_page(browser, live_server) -> None:
    project = make_project(name="Reassign project")
    import_tasks(project, 1)
    make_user("reviewer", username="first-rev")
    task_id, _ = submitted_task(project)
    settle()
    make_user("reviewer", username="second-rev")
    make_user("ops", username="opal")

    sign_in(browser, live_server.url, "opal")
    browser.find_element(By.LINK_TEXT, "Queues").click()
    browser.find_element(By.LINK_TEXT, "Reassign project").click()
    browser.get(live_server.url + f"/ops/tasks/{task_id}/")
    row = browser.find_element(By.CSS_SELECTOR, "tr.review-row")
    assert row.find_element(By.CSS_SELECTOR, ".reviewer").text == "first-rev"
    row.find_element(By.NAME, "reviewer").send_keys("second-rev")
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    message = text_after_post(browser, "#messages .success", "Reassigned")
    assert message.startswith("Reassigned to second-rev")
    rows = {
        r.find_element(By.CSS_SELECTOR, ".reviewer").text: r.find_element(By.CSS_SELECTOR, ".status").text
        for r in browser.find_elements(By.CSS_SELECTOR, "tr.review-row")
    }
    assert rows == {"first-rev": "reassigned", "second-rev": "pending"}
    assert pending_review(task_id).reviewer.username == "second-rev"
