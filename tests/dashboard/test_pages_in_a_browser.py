"""The pages in a real browser (headless Chromium driven by Selenium): sign in, find your way,
make an API token that works, revoke it, sign out; ops see the queues the API reports."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import import_tasks, make_project, make_user
from tests.support.browser import api_status, sign_in

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
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(row))
    assert browser.find_elements(By.CSS_SELECTOR, ".token-row") == []
    assert api_status(live_server.url, "/api/v1/me/", token)[0] == 401
    browser.find_element(By.ID, "sign-out").click()
    assert browser.find_element(By.ID, "sign-in").is_displayed()


def test_ops_see_in_the_queues_page_the_numbers_the_api_gives(browser, live_server) -> None:
    project = make_project(name="Browser project")
    import_tasks(project, 4)
    opal = make_user("ops", username="opal")
    _, token = AuthToken.objects.create(opal)
    _, overview = api_status(live_server.url, "/api/v1/queues/", token)
    [counted] = [p for p in overview["projects"] if p["name"] == "Browser project"]

    sign_in(browser, live_server.url, "opal")
    browser.find_element(By.LINK_TEXT, "Queues").click()

    section = browser.find_element(
        By.XPATH, "//h2[contains(., 'Browser project')]/following-sibling::table[1]"
    )
    counts = section.find_elements(By.XPATH, ".//tr[2]/td")[1:]
    assert [int(cell.text) for cell in counts] == [cell["count"] for cell in counted["tasks"].values()]
